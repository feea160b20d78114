package importrules

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/freezer-manager/freezer"

// A rule forbids the packages in From to depend, directly or not, on any
// package whose import path is or starts with one of Not (a path ending in
// "/" names a tree).
type rule struct {
	from []string
	not  []string
	why  string
}

var (
	mqttLibraries = []string{"github.com/mochi-mqtt/", "github.com/eclipse/paho.mqtt.golang"}
	// The adapters that serve people and devices; none of them may reach
	// into another.
	surfaces = []string{module + "/hub", module + "/alerts", module + "/homeassistant", module + "/changes",
		module + "/api/legacy", module + "/api/v1", module + "/api/web"}
)

var rules = []rule{
	{from: []string{module}, not: []string{module + "/"},
		why: "the domain imports only the standard library"},
	{from: []string{module + "/hub"}, not: append([]string{module + "/labels"}, mqttLibraries...),
		why: "the scan pipeline talks MQTT through devices.Bus and never renders labels"},
	{from: []string{module + "/alerts", module + "/homeassistant"}, not: mqttLibraries,
		why: "alert channels and the Home Assistant publisher talk MQTT through devices.Bus"},
	{from: []string{module + "/devices"}, not: append([]string{module + "/db", module + "/broker", module + "/hub", module + "/api"}, mqttLibraries...),
		why: "the MQTT contract depends on no adapter"},
	{from: []string{module + "/db"}, not: []string{module + "/broker", module + "/hub", module + "/alerts", module + "/homeassistant", module + "/api", module + "/labels", module + "/devices"},
		why: "the store knows no transport"},
	{from: []string{module + "/broker"}, not: []string{module + "/db", module + "/hub", module + "/alerts", module + "/homeassistant", module + "/api"},
		why: "the broker reaches the store through the interfaces it declares"},
	{from: []string{module + "/api/httpapi", module + "/api/legacy", module + "/api/v1", module + "/api/web"},
		not: append([]string{module + "/db", module + "/broker"}, mqttLibraries...),
		why: "the HTTP surfaces use services through interfaces"},
	{from: []string{module + "/api/httpapi"}, not: surfaces,
		why: "the HTTP helpers serve the surfaces and import none of them"},
	{from: []string{module + "/changes"}, not: []string{module + "/db", module + "/broker", module + "/devices", module + "/api"},
		why: "the change-log decorators wrap the domain's services and know no adapter"},
}

func init() {
	for _, from := range surfaces {
		var others []string
		for _, to := range surfaces {
			if to != from {
				others = append(others, to)
			}
		}
		rules = append(rules, rule{from: []string{from}, not: others,
			why: "hub, alerts, homeassistant, changes and the HTTP surfaces do not import one another"})
	}
}

type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Deps       []string
}

// listPackages runs go list on the whole module.
func listPackages(t *testing.T) map[string]listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("read go list output: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func forbidden(dep string, not []string) bool {
	for _, n := range not {
		if dep == n || (strings.HasSuffix(n, "/") && strings.HasPrefix(dep, n)) || strings.HasPrefix(dep, n+"/") {
			return true
		}
	}
	return false
}

func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	for _, r := range rules {
		for _, from := range r.from {
			p, ok := pkgs[from]
			if !ok {
				t.Errorf("package %s is missing", from)
				continue
			}
			for _, dep := range p.Deps {
				if forbidden(dep, r.not) {
					t.Errorf("%s depends on %s: %s", from, dep, r.why)
				}
			}
		}
	}
}

// TestRulesCatchAViolation keeps the rules from passing vacuously: each
// names packages that exist, and the matching sees a forbidden dependency.
func TestRulesCatchAViolation(t *testing.T) {
	if !forbidden(module+"/api/v1", []string{module + "/"}) || !forbidden("github.com/mochi-mqtt/server/v2/packets", mqttLibraries) ||
		!forbidden(module+"/hub", []string{module + "/hub"}) || forbidden(module+"/hubs", []string{module + "/hub"}) ||
		forbidden(module+"/hub", []string{module + "/homeassistant"}) {
		t.Fatal("forbidden() matches wrongly")
	}
	pkgs := listPackages(t)
	if !slices.Contains(pkgs[module+"/cmd/freezerd"].Deps, module+"/hub") {
		t.Fatal("go list reports no dependencies: the rules would pass whatever the imports")
	}
}

// maxFileLines bounds a non-test source file: past it, a file holds more
// than one thing and is split by what each part does.
const maxFileLines = 600

func TestSourceFilesStaySmall(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, name := range p.GoFiles {
			path := filepath.Join(p.Dir, name)
			n := countLines(t, path)
			if n > maxFileLines {
				t.Errorf("%s has %d lines (at most %d): split it by what it does", path, n, maxFileLines)
			}
		}
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return n
}
