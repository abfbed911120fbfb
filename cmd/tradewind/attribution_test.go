package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// attributionJSON is what the tests read of `attribution --json`.
type attributionJSON struct {
	Model    string `json:"model"`
	Channels []struct {
		Channel     string  `json:"channel"`
		Conversions float64 `json:"conversions"`
		Value       float64 `json:"value"`
	} `json:"channels"`
	RemovalEffects map[string]float64 `json:"removal_effects"`
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runAttribution(t *testing.T, args ...string) attributionJSON {
	t.Helper()
	out, code := tw(t, append([]string{"attribution", "--json"}, args...)...)
	var res attributionJSON
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("attribution %v: exit %d, output %s", args, code, out)
	}
	return res
}

// TestAttributionContract runs the documented command on the second
// case and checks the JSON contract and the numbers: removal effects 0.75
// and 0.5, the 4 conversions split 2.4 / 1.6; then every model's credits
// sum to the totals, the table form, and the errors.
func TestAttributionContract(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command in child processes")
	}
	file := writeTemp(t, "paths.csv", "path;total_conversions;total_conversion_value;total_null\ngoogle;2;20;1\nmailing;1;30;0\ngoogle > mailing;1;10;0\n")
	res := runAttribution(t, "--paths", file, "--model", "markov")
	if res.Model != "markov" || len(res.Channels) != 2 || res.Channels[0].Channel != "google" ||
		math.Abs(res.Channels[0].Conversions-2.4) > 1e-9 || math.Abs(res.Channels[1].Conversions-1.6) > 1e-9 ||
		math.Abs(res.RemovalEffects["google"]-0.75) > 1e-9 || math.Abs(res.RemovalEffects["mailing"]-0.5) > 1e-9 {
		t.Errorf("markov: %+v", res)
	}
	// Hand-computed: first touch gives google both of "google > mailing".
	want := map[string][2]float64{
		"first":           {3, 30},
		"last":            {2, 20},
		"last_non_direct": {2, 20},
		"linear":          {2.5, 25},
		"position":        {2.5, 25},
		"shapley":         {2.5, 25},
		"time_decay":      {2 + 1/(1+math.Exp2(1.0/7)), 20 + 10/(1+math.Exp2(1.0/7))},
	}
	for model, w := range want {
		res := runAttribution(t, "--paths", file, "--model", model)
		g := res.Channels[0]
		if res.Model != model || g.Channel != "google" || math.Abs(g.Conversions-w[0]) > 1e-9 || math.Abs(g.Value-w[1]) > 1e-9 {
			t.Errorf("%s: google %+v, want %v", model, g, w)
		}
		if res.RemovalEffects != nil {
			t.Errorf("%s has removal effects", model)
		}
		if sum := res.Channels[0].Conversions + res.Channels[1].Conversions; math.Abs(sum-4) > 1e-9 {
			t.Errorf("%s: credits sum to %g", model, sum)
		}
	}
	// Half-life 1 step: google's touch one step back weighs 1/2.
	res = runAttribution(t, "--paths", file, "--model", "time_decay", "--half-life", "1")
	if math.Abs(res.Channels[0].Conversions-(2+1.0/3)) > 1e-9 {
		t.Errorf("time_decay --half-life 1: %+v", res.Channels)
	}

	out, code := tw(t, "attribution", "--paths", file, "--model", "shapley")
	if code != 0 || !strings.Contains(out, "google") || !strings.Contains(out, "62.5%") {
		t.Errorf("table: %d\n%s", code, out)
	}

	bad := writeTemp(t, "bad.csv", "path;total_conversions;total_conversion_value;total_null\ngoogle;2;20;1\nmailing;one;30;0\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--paths", bad, "--model", "linear"}, "line 3, column 2 (total_conversions)"},
		{[]string{"--paths", file, "--model", "u_shaped"}, "unknown attribution model"},
		{[]string{"--model", "first"}, "--paths and --model are required"},
		{[]string{"--paths", file, "--model", "time_decay", "--half-life", "0"}, "--half-life"},
		{[]string{"--paths", filepath.Join(t.TempDir(), "missing.csv"), "--model", "first"}, "no such file"},
	} {
		_, stderr, code := twFull(t, append([]string{"attribution"}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("attribution %v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}
