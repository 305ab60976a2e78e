package client

import (
	"context"
	"net/url"
)

// StatsQuery selects one of the operators' statistics outputs. Period is a
// year (2026), a quarter (2026-Q3) or a month (2026-07); Format one of text,
// markdown, csv, json or html, as the output offers. Unsuppressed shows
// counts below 3, marked INTERNAL: never publish such an output.
type StatsQuery struct {
	Period       string
	Format       string
	By           string // platform table: force, app, source or priority
	Count        string // platform table: cases or reports
	Returns      string // comparison: the stored police return's name
	Unsuppressed bool
}

func (q StatsQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"period": q.Period, "format": q.Format, "by": q.By, "count": q.Count, "returns": q.Returns} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Unsuppressed {
		v.Set("unsuppressed", "true")
	}
	return v
}

// AdminStats fetches an operators' statistics output (operator token):
// what is "platform" (the platform's own table), "compare", "impact" or
// "transparency". It returns the document as sent and its media type.
func (c *Client) AdminStats(ctx context.Context, what string, q StatsQuery) (body []byte, contentType string, err error) {
	path := "/api/v1/admin/stats/" + url.PathEscape(what)
	if what == "transparency" {
		path = "/api/v1/admin/transparency"
	}
	return c.getRaw(ctx, path+"?"+q.values().Encode())
}
