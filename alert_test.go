package freezer_test

import (
	"testing"

	freezer "github.com/freezer-manager/freezer"
)

func TestValidateDiscoveryPrefix(t *testing.T) {
	for _, tc := range []struct {
		desc, prefix string
		ok           bool
	}{
		{"default", "homeassistant", true},
		{"two levels", "ha/kitchen", true},
		{"empty", "", false},
		{"empty level", "ha//x", false},
		{"wildcard", "ha/#", false},
		{"system topic", "$SYS", false},
		{"another household's node", "homeassistant/sensor/freezer_manager_2", false},
		{"node, upper case", "ha/FREEZER_MANAGER_7", false},
	} {
		if err := freezer.ValidateDiscoveryPrefix(tc.prefix); (err == nil) != tc.ok {
			t.Errorf("%s: ValidateDiscoveryPrefix(%q) = %v, want ok %v", tc.desc, tc.prefix, err, tc.ok)
		}
	}
}

func TestDiscoveryPrefixOverlaps(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"homeassistant", true},
		{"freezer/v1/household/2/injected", false},
		{"freezer/v1/dev/d1/set", false},
		{"freezer/v1", false},
		{"freezer", false},
		{"freezer/v10", true},
		{"freezers", true},
	} {
		if err := freezer.DiscoveryPrefixOverlaps(tc.prefix, "freezer/v1"); (err == nil) != tc.ok {
			t.Errorf("DiscoveryPrefixOverlaps(%q) = %v, want ok %v", tc.prefix, err, tc.ok)
		}
	}
}
