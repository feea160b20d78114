package homeassistant

import (
	"encoding/json"
	"fmt"
	"strings"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// Home Assistant MQTT discovery
// (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery): each
// entity is a retained config message on its household's node under the
// prefix (devices.DiscoveryTopics.Config), named by the ids of devices. Per
// freezer, three sensors read its retained state; per scanner, a
// connectivity binary sensor reads the mirror of its status; per household,
// an event entity for scans and one for alerts. Every entity is available
// while the household's status topic says "online"; on an external broker,
// while the hub's status says so too (availability_mode "all"): the
// household's status is retained, and only the hub's follows the hub's
// death, through its Will. On the embedded broker, Home Assistant loses its
// connection when the hub dies, which makes the entities unavailable.

// Manufacturer is the manufacturer of every discovered device.
const Manufacturer = "Freezer Manager"

// haDevice is the "device" block of a discovery config.
type haDevice struct {
	Identifiers  []string `json:"identifiers"`
	Name         string   `json:"name"`
	Manufacturer string   `json:"manufacturer"`
	Model        string   `json:"model"`
	SWVersion    string   `json:"sw_version,omitempty"`
	ViaDevice    string   `json:"via_device,omitempty"`
}

// haAvailability is one entry of a config's "availability" list.
type haAvailability struct {
	Topic               string `json:"topic"`
	PayloadAvailable    string `json:"payload_available"`
	PayloadNotAvailable string `json:"payload_not_available"`
}

// haOrigin names the software that published a config.
type haOrigin struct {
	Name      string `json:"name"`
	SWVersion string `json:"sw_version,omitempty"`
}

// haConfig is a discovery config of a sensor, binary sensor or event entity.
type haConfig struct {
	Name              string           `json:"name"`
	UniqueID          string           `json:"unique_id"`
	StateTopic        string           `json:"state_topic"`
	ValueTemplate     string           `json:"value_template,omitempty"`
	UnitOfMeasurement string           `json:"unit_of_measurement,omitempty"`
	StateClass        string           `json:"state_class,omitempty"`
	DeviceClass       string           `json:"device_class,omitempty"`
	EntityCategory    string           `json:"entity_category,omitempty"`
	Icon              string           `json:"icon,omitempty"`
	PayloadOn         string           `json:"payload_on,omitempty"`
	PayloadOff        string           `json:"payload_off,omitempty"`
	EventTypes        []string         `json:"event_types,omitempty"`
	Availability      []haAvailability `json:"availability"`
	AvailabilityMode  string           `json:"availability_mode,omitempty"`
	QoS               int              `json:"qos"`
	Device            haDevice         `json:"device"`
	Origin            haOrigin         `json:"origin"`
}

// freezerSensors are the sensors of each freezer: the field of its state
// each one shows, its name and icon.
var freezerSensors = []struct{ field, name, icon string }{
	{"inside", "Products inside", "mdi:fridge-outline"},
	{"overdue", "Overdue products", "mdi:fridge-alert"},
	{"due_soon", "Products due soon", "mdi:clock-alert-outline"},
}

// householdSensors are the sensors of each household, on its state.
var householdSensors = []struct{ field, name, icon string }{
	{"due_this_week", "Products due this week", "mdi:calendar-alert"},
	{"discarded_this_month", "Products thrown away this month", "mdi:delete-outline"},
}

// discovery builds the discovery configs of a household, by topic.
type discovery struct {
	topics    devices.Topics
	version   string
	household *freezer.Household
	prefix    string
	hubStatus bool // entities follow the hub's status too
}

func (d *discovery) availability() []haAvailability {
	household := haAvailability{Topic: d.topics.HouseholdStatus(d.household.ID), PayloadAvailable: "online", PayloadNotAvailable: "offline"}
	if !d.hubStatus {
		return []haAvailability{household}
	}
	return []haAvailability{{Topic: d.topics.HubStatus(), PayloadAvailable: "online", PayloadNotAvailable: "offline"}, household}
}

// availabilityMode is "all" when entities follow two topics.
func (d *discovery) availabilityMode() string {
	if d.hubStatus {
		return "all"
	}
	return ""
}

// hubDevice is the household's own device, that its freezers and scanners hang from.
func (d *discovery) hubDevice() haDevice {
	return haDevice{Identifiers: []string{devices.HAHouseholdID(d.household.ID)}, Name: "Freezer Manager " + d.household.Name,
		Manufacturer: Manufacturer, Model: "Household", SWVersion: d.version}
}

func (d *discovery) base(name, uniqueID, stateTopic string, dev haDevice) haConfig {
	return haConfig{Name: name, UniqueID: uniqueID, StateTopic: stateTopic, Availability: d.availability(), AvailabilityMode: d.availabilityMode(), QoS: 1,
		Device: dev, Origin: haOrigin{Name: Manufacturer, SWVersion: d.version}}
}

// configs returns the household's discovery configs by topic: none when
// its prefix would put them among the contract's topics (a prefix stored
// before that was refused, or under another --mqtt-root).
func (d *discovery) configs(freezers []*freezer.Freezer, scanners []*freezer.Device) map[string][]byte {
	out := map[string][]byte{}
	if freezer.ValidateDiscoveryPrefix(d.prefix) != nil || freezer.DiscoveryPrefixOverlaps(d.prefix, d.topics.Root) != nil {
		return out
	}
	add := func(component, object string, c haConfig) {
		b, _ := json.Marshal(c)
		out[devices.DiscoveryTopics{Prefix: d.prefix}.Config(component, d.household.ID, object)] = b
	}
	h := d.household.ID
	for _, f := range freezers {
		dev := haDevice{Identifiers: []string{devices.HAFreezerID(f.ID)}, Name: f.Name,
			Manufacturer: Manufacturer, Model: "Freezer", SWVersion: d.version, ViaDevice: devices.HAHouseholdID(d.household.ID)}
		for _, s := range freezerSensors {
			c := d.base(s.name, devices.HAFreezerID(f.ID)+"_"+s.field, d.topics.FreezerState(h, f.ID), dev)
			c.ValueTemplate = "{{ value_json." + s.field + " }}"
			c.UnitOfMeasurement, c.StateClass, c.Icon = "products", "measurement", s.icon
			add("sensor", fmt.Sprintf("freezer_%d_%s", f.ID, s.field), c)
		}
	}
	for _, s := range scanners {
		dev := haDevice{Identifiers: []string{devices.HAScannerID(s.ID)}, Name: s.Name,
			Manufacturer: Manufacturer, Model: "Scanner", SWVersion: d.version, ViaDevice: devices.HAHouseholdID(d.household.ID)}
		c := d.base("Connected", devices.HAScannerID(s.ID)+"_connectivity", d.topics.DeviceState(h, s.ID), dev)
		c.DeviceClass, c.EntityCategory, c.PayloadOn, c.PayloadOff = "connectivity", "diagnostic", "online", "offline"
		add("binary_sensor", "device_"+objectID(s.ID)+"_connectivity", c)
	}
	for _, s := range householdSensors {
		c := d.base(s.name, devices.HAHouseholdID(h)+"_"+s.field, d.topics.HouseholdState(h), d.hubDevice())
		c.ValueTemplate = "{{ value_json." + s.field + " }}"
		c.UnitOfMeasurement, c.StateClass, c.Icon = "products", "measurement", s.icon
		add("sensor", s.field, c)
	}
	scans := d.base("Scan", devices.HAHouseholdID(h)+"_scan", d.topics.Events(h), d.hubDevice())
	scans.EventTypes, scans.Icon = devices.ScanEventTypes, "mdi:barcode-scan"
	add("event", "scan", scans)
	alerts := d.base("Alert", devices.HAHouseholdID(h)+"_alert", d.topics.Alerts(h), d.hubDevice())
	alerts.EventTypes, alerts.Icon = []string{freezer.AlertDueSoon, freezer.AlertOverdue}, "mdi:bell-alert"
	add("event", "alert", alerts)
	return out
}

// objectID keeps the characters discovery allows in an object id.
func objectID(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, s)
}
