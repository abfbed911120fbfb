package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const cdnowElog = "../../../shared/data/cdnow/cdnowElog.csv"

// TestPredictFitContract runs the offline command on the CDNOW sample as an
// analyst would and checks the documented contract: the JSON report's keys
// and the published parameters, and the --out file's columns and customer
// 1516.
func TestPredictFitContract(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command in a child process")
	}
	out := filepath.Join(t.TempDir(), "predictions.csv")
	stdout, code := tw(t, "predict", "fit", "--transactions", cdnowElog, "--customer-col", "sampleid", "--date-col", "date",
		"--amount-col", "sales", "--calibration-end", "1997-09-30", "--period", "week", "--horizon", "52", "--json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	var rep struct {
		BGNBD           map[string]any `json:"bgnbd"`
		ParetoNBD       map[string]any `json:"pareto_nbd"`
		GammaGamma      map[string]any `json:"gamma_gamma"`
		Customers       int            `json:"customers"`
		RepeatCustomers int            `json:"repeat_customers"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	if rep.Customers != 2357 || rep.RepeatCustomers != 946 {
		t.Errorf("customers %d repeat %d, want 2357 and 946", rep.Customers, rep.RepeatCustomers)
	}
	for model, keys := range map[string][]string{
		"bgnbd": {"r", "alpha", "a", "b", "log_likelihood"}, "pareto_nbd": {"r", "alpha", "s", "beta", "log_likelihood"},
		"gamma_gamma": {"p", "q", "gamma", "log_likelihood"},
	} {
		m := map[string]map[string]any{"bgnbd": rep.BGNBD, "pareto_nbd": rep.ParetoNBD, "gamma_gamma": rep.GammaGamma}[model]
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s.%s missing from the report", model, k)
			}
		}
	}
	num := func(m map[string]any, k string) float64 { f, _ := m[k].(float64); return f }
	if math.Abs(num(rep.BGNBD, "r")-0.2426) > 0.0005 || math.Abs(num(rep.BGNBD, "log_likelihood")-(-9582.429)) > 0.01 {
		t.Errorf("BG/NBD %v", rep.BGNBD)
	}
	if math.Abs(num(rep.GammaGamma, "p")-6.25) > 0.01 {
		t.Errorf("Gamma-Gamma %v", rep.GammaGamma)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(rows[0], ",")
	if !strings.HasPrefix(head, "customer_id,frequency,recency,T,monetary,p_alive,expected_purchases") || !strings.Contains(head, ",clv") {
		t.Errorf("--out header %q", head)
	}
	if len(rows) != 2358 {
		t.Errorf("%d rows, want a header and 2357 customers", len(rows))
	}
	for _, r := range rows[1:] {
		if r[0] != "1516" {
			continue
		}
		x, _ := strconv.ParseFloat(r[1], 64)
		pa, _ := strconv.ParseFloat(r[5], 64)
		if x != 26 || pa < 0.9 || pa > 1 {
			t.Errorf("customer 1516: %v", r)
		}
	}
}

// Refusals name what is wrong and exit non-zero.
func TestPredictFitRefusals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command in a child process")
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	few := write("few.csv", "cust;day;amount\na;2024-01-02;10\na;2024-02-03;12\nb;2024-01-05;9\n")
	bad := write("bad.csv", "cust,day,amount\na,2024-01-02,10\na,not a date,12\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--transactions", few, "--customer-col", "cust", "--date-col", "day", "--calibration-end", "2024-06-30"}, "at least 100"},
		{[]string{"--transactions", few, "--customer-col", "customer", "--date-col", "day", "--calibration-end", "2024-06-30"}, "not a column"},
		{[]string{"--transactions", bad, "--customer-col", "cust", "--date-col", "day", "--date-format", "2006-01-02", "--calibration-end", "2024-06-30"}, "line 3"},
		{[]string{"--transactions", few, "--customer-col", "cust", "--date-col", "day", "--calibration-end", "June"}, "YYYY-MM-DD"},
		{[]string{"--transactions", few, "--customer-col", "cust", "--date-col", "day", "--calibration-end", "2024-06-30", "--period", "month"}, "day or week"},
	} {
		out, stderr, code := twFull(t, append([]string{"predict", "fit"}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, error %q, want one saying %q (output %s)", tc.args, code, stderr, tc.want, out)
		}
	}
}

// TestPredictChurnContract: every customer who bought by the calibration
// end gets a probability, a tier and reasons separated by "; ".
func TestPredictChurnContract(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command in a child process")
	}
	out := filepath.Join(t.TempDir(), "churn.csv")
	stdout, code := tw(t, "predict", "churn", "--transactions", cdnowElog, "--customer-col", "sampleid", "--date-col", "date",
		"--amount-col", "sales", "--calibration-end", "1998-03-31", "--horizon-days", "90", "--json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	var rep struct {
		Chosen string `json:"chosen_model"`
		Models []struct {
			Model string  `json:"model"`
			AUC   float64 `json:"auc"`
		} `json:"models"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Models) != 3 {
		t.Fatalf("report %v: %s", err, stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "customer_id,churn_probability,churn_tier,reasons" || len(rows) != 2358 {
		t.Fatalf("header %v, %d rows", rows[0], len(rows))
	}
	withReasons := 0
	for _, r := range rows[1:] {
		p, err := strconv.ParseFloat(r[1], 64)
		if err != nil || p < 0 || p > 1 {
			t.Fatalf("row %v", r)
		}
		if r[3] != "" {
			withReasons++
		}
	}
	if withReasons < 2000 {
		t.Errorf("only %d of 2357 customers have reasons", withReasons)
	}
}
