package api

import (
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// webPages lists the page templates of web/templates; each defines
// "content" and is executed inside layout.html.
var webPages = []string{"login", "error", "dashboard", "inbox", "inspect", "list", "item", "form", "trail", "verify", "reports"}

// parsePages parses every page with the layout. A template that does not
// parse is a bug caught by any test that starts a server.
func parsePages(assets map[string]string) map[string]*template.Template {
	funcs := template.FuncMap{
		"t":          tr,
		"typeLabel":  func(lang string, t any) string { return typeLabel(lang, events.Type(fmt.Sprint(t))) },
		"fieldLabel": fieldLabel,
		"status":     func(lang string, s any) string { return statusLabel(lang, fmt.Sprint(s)) },
		"enum":       enumLabel,
		"flagTitle":  flagTitle,
		"coll":       collectionLabel,
		"role":       func(lang, r string) string { return tr(lang, "role."+r) },
		"asset":      func(name string) string { return assets[name] },
		// whole: the view withholds the whole record (Redaction.Withholds),
		// whose list is exactly ItemWithheld.
		"whole": func(xs []string) bool { return slices.Equal(xs, projections.ItemWithheld) },
		"short": func(h string) string {
			if len(h) > 12 {
				return h[:12] + "…"
			}
			return h
		},
		"pct": func(x *float64) string {
			if x == nil {
				return "—"
			}
			return fmt.Sprintf("%.0f%%", *x*100)
		},
		"days": func(x *float64) string {
			if x == nil {
				return "—"
			}
			return fmt.Sprintf("%.1f", *x)
		},
		"collOf": func(stream string) string {
			k, id, _ := strings.Cut(stream, "/")
			if c := CollectionOf(events.Kind(k)); c != "" {
				return "/items/" + c + "/" + id
			}
			return ""
		},
		"join": strings.Join,
	}
	out := map[string]*template.Template{}
	for _, name := range webPages {
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(webFS, "web/templates/layout.html", "web/templates/"+name+".html"))
	}
	return out
}
