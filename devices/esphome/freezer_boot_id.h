// The random part of a freezer scanner's message ids, drawn once per boot
// (docs/mqtt.md, "Message ids"). Included by freezer-scanner.yaml.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "bootloader_random.h"
#include "esp_random.h"

// freezer_boot_id returns 64 bits from the ESP32's hardware RNG as 16 hex
// digits. It runs while the globals are built, before Wi-Fi starts: the
// RNG then gets physical noise only from the internal entropy source (SAR
// ADC), so it is switched on for these reads and off again before any
// component may use the ADC, I2S or the radio.
inline std::string freezer_boot_id() {
  uint32_t words[2];
  bootloader_random_enable();
  esp_fill_random(words, sizeof(words));
  bootloader_random_disable();
  char hex[17];
  snprintf(hex, sizeof(hex), "%08x%08x", (unsigned) words[0], (unsigned) words[1]);
  return std::string(hex);
}
