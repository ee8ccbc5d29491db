package httpapi

import (
	"bytes"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
)

// The Gigapay dialect's browsable API: when a browser asks for HTML, each
// response is a page showing the request, the response's status and headers,
// its JSON pretty-printed with its URLs as links, the methods the resource
// allows, and links to the previous and next page of a list.

var gigapayHTML = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<title>{{.Name}} – Gigapay API</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f2d3d;color:#fff;padding:.6em 1.5em}header a{color:#fff;text-decoration:none;font-weight:600}
main{max-width:60em;margin:1.5em auto;padding:0 1.5em}
h1{font-size:1.6em;margin:.2em 0 .6em}
.request{font-family:ui-monospace,Menlo,Consolas,monospace;background:#fff;border:1px solid #dde;padding:.5em .8em;border-radius:4px}
.allow code{background:#e8eef5;padding:.1em .4em;border-radius:3px;margin-right:.3em}
pre{background:#fff;border:1px solid #dde;border-radius:4px;padding:1em;overflow:auto;font-size:13px;line-height:1.45}
pre b{color:#555}a{color:#0b62b5}
nav.pages a{margin-right:1em}
.status-error{color:#b00020}
</style>
</head>
<body>
<header><a href="{{.Root}}">Gigapay API</a></header>
<main>
<h1>{{.Name}}</h1>
{{if .Allow}}<p class="allow">Allowed methods: {{range .Allow}}<code>{{.}}</code>{{end}}</p>{{end}}
<p class="request"><b>{{.Method}}</b> {{.Path}}</p>
{{if or .Previous .Next}}<nav class="pages">{{if .Previous}}<a rel="prev" href="{{.Previous}}">« Previous</a>{{end}}{{if .Next}}<a rel="next" href="{{.Next}}">Next »</a>{{end}}</nav>{{end}}
<pre><b{{if ge .Status 400}} class="status-error"{{end}}>HTTP {{.Status}} {{.StatusText}}</b>
{{range .Headers}}<b>{{.Name}}:</b> {{.Value}}
{{end}}
{{.Body}}</pre>
</main>
</body>
</html>
`))

type htmlHeader struct{ Name, Value string }

// urlInJSON finds the http and https URLs among the JSON's strings.
var urlInJSON = regexp.MustCompile(`"https?://[^"\s\\]+"`)

// renderHTML writes the browsable page of a response.
func (c *gigapayCall) renderHTML(status int, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(body); err != nil {
		slog.Error("httpapi: encode response", "err", err)
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString(`{"detail": "A server error occurred."}`)
	}
	// Escape everything, and make links of the URLs only: a URL is http or
	// https, so no javascript: link can come out of a client's data.
	text := strings.TrimRight(buf.String(), "\n")
	var out strings.Builder
	last := 0
	for _, m := range urlInJSON.FindAllStringIndex(text, -1) {
		out.WriteString(template.HTMLEscapeString(text[last:m[0]]))
		u := text[m[0]+1 : m[1]-1]
		out.WriteString(`"<a href="` + template.HTMLEscapeString(u) + `">` + template.HTMLEscapeString(u) + `</a>"`)
		last = m[1]
	}
	out.WriteString(template.HTMLEscapeString(text[last:]))

	name := "Error"
	var allow []string
	if c.route != nil {
		name, allow = c.route.name, c.route.allow()
	}
	data := struct {
		Lang, Name, Method, Path, Root, StatusText, Next, Previous string
		Status                                                     int
		Allow                                                      []string
		Headers                                                    []htmlHeader
		Body                                                       template.HTML
	}{
		Lang: c.lang, Name: name, Method: c.r.Method, Path: c.base + c.r.URL.RequestURI(), Root: c.abs("/v2/"),
		Status: status, StatusText: http.StatusText(status), Allow: allow, Body: template.HTML(out.String()),
	}
	if p, ok := body.(*gigapayPage); ok {
		if p.Next != nil {
			data.Next = *p.Next
		}
		if p.Previous != nil {
			data.Previous = *p.Previous
		}
	}
	if a := c.w.Header().Get("Allow"); a != "" {
		data.Headers = append(data.Headers, htmlHeader{"Allow", a})
	}
	data.Headers = append(data.Headers, htmlHeader{"Content-Type", "application/json"}, htmlHeader{"Vary", "Accept"})
	var page bytes.Buffer
	if err := gigapayHTML.Execute(&page, data); err != nil {
		slog.Error("httpapi: render page", "err", err)
		http.Error(c.w, "Internal error.", http.StatusInternalServerError)
		return
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.WriteHeader(status)
	c.w.Write(page.Bytes())
}
