package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/compliance"
	"github.com/tradewind/tradewind/internal/ingest"
)

// complianceRoutes are the endpoints of the content compliance check. The
// check only reads the rules and the posted text, so viewing the dashboard
// is enough to run it: whoever writes a campaign should be able to check
// it before anyone sends it.
func (s *Server) complianceRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/v1/compliance/check", Perm: auth.DashboardRead, handler: s.complianceCheck},
		{Method: "GET", Path: "/v1/compliance/rules", Perm: auth.DashboardRead, handler: s.complianceRules},
	}
}

// complianceCheck answers POST /v1/compliance/check with a
// compliance.Content body ({"country": "CN", "channel": "email",
// "locale": "zh-CN", "subject": …, "text": …, "html": …}) and the
// compliance.Report: verdict ok, warn or block, and the findings with
// their reasons and sources. An unknown country code, channel or JSON key
// is a 400 naming the field; a body over 1 MB a 413.
func (s *Server) complianceCheck(w http.ResponseWriter, r *http.Request) {
	var c compliance.Content
	if !decode(w, r, &c) {
		return
	}
	if err := c.Validate(); err != nil {
		var ie *compliance.InputError
		if errors.As(err, &ie) {
			ingest.WriteError(w, http.StatusBadRequest, ie.Field, ie.Msg)
			return
		}
		ingest.WriteError(w, http.StatusBadRequest, "", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, compliance.Check(c))
}

// complianceRules answers GET /v1/compliance/rules[?country=XX]: the rules
// in force (embedded and the operator's), those of one country when asked,
// and the country groups rules may name.
func (s *Server) complianceRules(w http.ResponseWriter, r *http.Request) {
	rules := compliance.Rules()
	if cc := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("country"))); cc != "" {
		if !compliance.ValidCountry(cc) {
			ingest.WriteError(w, http.StatusBadRequest, "country", "country "+r.URL.Query().Get("country")+
				" is not an ISO 3166-1 alpha-2 country code (e.g. CN, US, DE; GB, not UK)")
			return
		}
		rules = compliance.RulesFor(cc)
	}
	if rules == nil {
		rules = []compliance.Rule{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": rules, "groups": compliance.Groups()})
}
