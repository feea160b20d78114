package devices

import (
	"strconv"

	freezer "github.com/freezer-manager/freezer"
)

// Home Assistant's side of the contract: the discovery topics under a
// prefix (freezer.DefaultDiscoveryPrefix unless a household sets another)
// and the ids the server gives Home Assistant, each built from
// freezer.HomeAssistantIDPrefix, which the root's validation of a prefix
// keeps out of the prefixes households may choose.

// DiscoveryTopics names Home Assistant's MQTT discovery topics under a prefix.
type DiscoveryTopics struct {
	Prefix string
}

// Status is where Home Assistant says "online" when it (re)starts.
func (t DiscoveryTopics) Status() string { return t.Prefix + "/status" }

// Config is the retained discovery config of one entity of household h:
// <prefix>/<component>/<node id>/<object>/config.
func (t DiscoveryTopics) Config(component string, h int64, object string) string {
	return t.Prefix + "/" + component + "/" + HANodeID(h) + "/" + object + "/config"
}

// HANodeID groups household h's discovery configs under the prefix; an
// integration may read the configs under its own household's node id only.
func HANodeID(h int64) string { return freezer.HomeAssistantIDPrefix + strconv.FormatInt(h, 10) }

// HAHouseholdID identifies household h's own device in Home Assistant;
// the unique ids of its entities start with it.
func HAHouseholdID(h int64) string {
	return freezer.HomeAssistantIDPrefix + "household_" + strconv.FormatInt(h, 10)
}

// HAFreezerID identifies freezer f's device; the unique ids of its sensors start with it.
func HAFreezerID(f int64) string {
	return freezer.HomeAssistantIDPrefix + "freezer_" + strconv.FormatInt(f, 10)
}

// HAScannerID identifies scanner dev's device; the unique id of its
// connectivity sensor starts with it.
func HAScannerID(dev string) string { return freezer.HomeAssistantIDPrefix + "device_" + dev }
