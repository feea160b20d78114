package devices_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/freezer-manager/freezer/devices"
)

// esphomeConfig is the part of devices/esphome/freezer-scanner.yaml that
// makes the scan ids.
type esphomeConfig struct {
	ESPHome struct {
		Includes []string `yaml:"includes"`
		OnBoot   struct {
			Then yaml.Node `yaml:"then"`
		} `yaml:"on_boot"`
	} `yaml:"esphome"`
	Globals []struct {
		ID           string `yaml:"id"`
		Type         string `yaml:"type"`
		RestoreValue *bool  `yaml:"restore_value"`
		InitialValue string `yaml:"initial_value"`
	} `yaml:"globals"`
	UART struct {
		Debug struct {
			Sequence []struct {
				Lambda string `yaml:"lambda"`
			} `yaml:"sequence"`
		} `yaml:"debug"`
	} `yaml:"uart"`
}

// lambdas returns every lambda of a YAML tree.
func lambdas(n *yaml.Node) []string {
	var out []string
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 && c.Value == "lambda" && i+1 < len(n.Content) {
			out = append(out, n.Content[i+1].Value)
		}
		out = append(out, lambdas(c)...)
	}
	return out
}

// The ESP32 firmware gives each code an id "<device>-<boot>-<n>" where
// <boot> is drawn from the hardware RNG at each boot before any component
// runs (so before any code is read, whatever the on_boot priorities) and
// <n> is counted in RAM: no part of the id lives in flash, whose writes
// come late and are lost in a power cut.
func TestESPHomeScanIDs(t *testing.T) {
	dir := filepath.Join("esphome")
	raw, err := os.ReadFile(filepath.Join(dir, "freezer-scanner.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		t.Fatalf("parse freezer-scanner.yaml: %v", err)
	}
	var cfg esphomeConfig
	if err := root.Decode(&cfg); err != nil {
		t.Fatalf("decode freezer-scanner.yaml: %v", err)
	}
	all := lambdas(&root)
	if len(all) == 0 {
		t.Fatal("no lambdas found")
	}

	t.Run("BootPartFromHardwareRNG", func(t *testing.T) {
		var found bool
		for _, g := range cfg.Globals {
			if g.ID != "boot_id" {
				continue
			}
			found = true
			if g.Type != "std::string" || g.InitialValue != "freezer_boot_id()" || (g.RestoreValue != nil && *g.RestoreValue) {
				t.Errorf("boot_id = %+v, want a std::string set by freezer_boot_id() when the globals are built, not restored", g)
			}
		}
		if !found {
			t.Fatal("no boot_id global")
		}
		if len(cfg.ESPHome.Includes) != 1 || cfg.ESPHome.Includes[0] != "freezer_boot_id.h" {
			t.Fatalf("esphome includes = %q, want freezer_boot_id.h", cfg.ESPHome.Includes)
		}
		header, err := os.ReadFile(filepath.Join(dir, "freezer_boot_id.h"))
		if err != nil {
			t.Fatal(err)
		}
		body := string(header)
		enable, fill, disable := strings.Index(body, "bootloader_random_enable();"), strings.Index(body, "esp_fill_random(words, sizeof(words));"), strings.Index(body, "bootloader_random_disable();")
		if enable < 0 || fill < enable || disable < fill {
			t.Error("freezer_boot_id.h must read the hardware RNG (esp_fill_random) with its entropy source on (bootloader_random_enable/disable around it)")
		}
		if !strings.Contains(body, "uint32_t words[2];") || !strings.Contains(body, `"%08x%08x"`) {
			t.Error("freezer_boot_id.h must give 64 random bits as 16 hex digits")
		}
	})

	t.Run("CountInRAM", func(t *testing.T) {
		for _, g := range cfg.Globals {
			if g.RestoreValue != nil && *g.RestoreValue {
				t.Errorf("global %s is restored from flash; no part of an id may be", g.ID)
			}
			if g.ID == "scan_count" && (g.Type != "uint32_t" || g.InitialValue != "0") {
				t.Errorf("scan_count = %+v, want a uint32_t from 0", g)
			}
		}
		for _, l := range all {
			if strings.Contains(l, "global_preferences") {
				t.Errorf("a lambda writes the flash: %q", l)
			}
		}
	})

	t.Run("IDFormat", func(t *testing.T) {
		var reader string
		for _, s := range cfg.UART.Debug.Sequence {
			reader += s.Lambda
		}
		const push = `id(queue_ids).push_back("${device_id}-" + id(boot_id) + "-" + std::to_string(id(scan_count)));`
		count := strings.Index(reader, "id(scan_count) += 1;")
		if count < 0 || !strings.Contains(reader[count:], push) {
			t.Errorf("the UART reader must count the code, then queue it as %s", push)
		}
		// The longest id fits the contract: a 64-character device id, 16 hex
		// digits and a 32-bit count.
		if n := len(strings.Repeat("d", 64) + "-" + strings.Repeat("f", 16) + "-4294967295"); n > devices.MaxMsgIDLength {
			t.Errorf("longest id has %d characters, more than %d", n, devices.MaxMsgIDLength)
		}
	})

	// No automation, at whatever on_boot priority, sets a part of the ids:
	// an on_boot at -100 runs only once Wi-Fi is up, after codes may have been read.
	t.Run("NothingSetsTheIDsLater", func(t *testing.T) {
		assign := regexp.MustCompile(`id\(boot_id\)\s*(=[^=]|\+=)|id\(scan_count\)\s*=[^=]`)
		for _, l := range all {
			if assign.MatchString(l) {
				t.Errorf("a lambda sets boot_id or resets scan_count: %q", l)
			}
		}
		for _, l := range lambdas(&cfg.ESPHome.OnBoot.Then) {
			if strings.Contains(l, "scan_count") {
				t.Errorf("an on_boot lambda touches the count: %q", l)
			}
		}
	})
}
