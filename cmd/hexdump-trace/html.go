package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/kafkaio/kafkaio/kafkadebug"
)

// -html writes one self-contained page: page.html, its style and script
// inline, with the trace as JSON in a script element of type
// application/json. The script draws, per log, a timeline per connection
// (each request a bar from its dump to its response's, coloured by API),
// the frames (each expandable to its fields and hex) and the summary per
// API. It fetches nothing: no network, no fonts, no other files.

//go:embed page.html
var pageTemplate string

// pageDataMarker is replaced by the trace's JSON.
const pageDataMarker = "/*TRACE-DATA*/"

// pageHexBytes bounds the hex shown per frame on the page.
const pageHexBytes = 4096

// htmlPage collects the traces of every log for -html.
type htmlPage struct {
	logs []*htmlLog
}

// htmlLog is one log's part of the page.
type htmlLog struct {
	name     string
	frames   []*frameInfo
	problems []problemInfo
	sum      *summary
}

func (p *htmlPage) sink(name string) sink {
	l := &htmlLog{name: name}
	p.logs = append(p.logs, l)
	return l
}

func (l *htmlLog) frame(f *frameInfo)    { l.frames = append(l.frames, f) }
func (l *htmlLog) problem(p problemInfo) { l.problems = append(l.problems, p) }
func (l *htmlLog) event(string, record)  {}
func (l *htmlLog) summary(s *summary)    { l.sum = s }

// The page's data. Times are milliseconds from the log's first timestamp.
type pageData struct {
	Logs []pageLog `json:"logs"`
}

type pageLog struct {
	Name        string        `json:"name"`
	Timed       bool          `json:"timed"`
	Start       string        `json:"start"` // the first timestamp, RFC 3339
	Connections []string      `json:"connections"`
	Frames      []pageFrame   `json:"frames"`
	APIs        []pageAPI     `json:"apis"`
	Problems    []pageProblem `json:"problems"`
	Totals      string        `json:"totals"`
}

type pageFrame struct {
	N         int      `json:"n"`
	Request   bool     `json:"request"`
	T         *float64 `json:"t"`
	Conn      int      `json:"conn"`
	API       string   `json:"api"`
	Key       int      `json:"key"`
	Head      string   `json:"head"`
	Title     string   `json:"title"`
	Pair      int      `json:"pair"` // the response of a request, the request of a response; 0 for none
	LatencyUS *float64 `json:"latency_us"`
	Fields    []string `json:"fields"`
	Hex       string   `json:"hex"`
	HexNote   string   `json:"hex_note"`
}

type pageAPI struct {
	API       string `json:"api"`
	Key       int    `json:"key"`
	Requests  int    `json:"requests"`
	Responses int    `json:"responses"`
	Bytes     int    `json:"bytes"`
	P50       string `json:"p50"`
	P99       string `json:"p99"`
	Max       string `json:"max"`
}

type pageProblem struct {
	Where string `json:"where"`
	Text  string `json:"text"`
}

// writeFile writes the page to path.
func (p *htmlPage) writeFile(path string) error {
	page, err := p.render()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, page, 0o644); err != nil {
		return fmt.Errorf("writing the page: %v", err)
	}
	return nil
}

// render returns the page.
func (p *htmlPage) render() ([]byte, error) {
	var d pageData
	for _, l := range p.logs {
		d.Logs = append(d.Logs, l.data())
	}
	js, err := json.Marshal(d) // escapes <, > and &: the script element cannot be closed from inside
	if err != nil {
		return nil, err
	}
	before, after, ok := strings.Cut(pageTemplate, pageDataMarker)
	if !ok {
		return nil, fmt.Errorf("page template lacks %s", pageDataMarker)
	}
	var b bytes.Buffer
	b.WriteString(before)
	b.Write(js)
	b.WriteString(after)
	return b.Bytes(), nil
}

func (l *htmlLog) data() pageLog {
	pl := pageLog{Name: l.name, Connections: []string{}, Frames: []pageFrame{}, APIs: []pageAPI{}, Problems: []pageProblem{}}
	conns := map[connKey]int{}
	var first *frameInfo
	for _, f := range l.frames {
		if !f.time.IsZero() && (first == nil || f.time.Before(first.time)) {
			first = f
		}
	}
	if first != nil {
		pl.Timed = true
		pl.Start = first.time.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	keys := map[string]int{}
	for _, f := range l.frames {
		id, ok := conns[f.conn]
		if !ok {
			id = len(pl.Connections)
			conns[f.conn] = id
			pl.Connections = append(pl.Connections, strings.TrimPrefix(connText(toBroker, f.conn), "request "))
		}
		pf := pageFrame{N: f.n, Request: f.dir == toBroker, Conn: id, API: f.api(), Key: int(f.key), Head: framePrefix(f), Title: frameDescription(f), Fields: []string{}}
		keys[pf.API] = pf.Key
		if first != nil && !f.time.IsZero() {
			t := float64(f.time.Sub(first.time).Nanoseconds()) / 1e6
			pf.T = &t
		}
		switch {
		case f.response != nil:
			pf.Pair = f.response.n
		case f.request != nil:
			pf.Pair = f.request.n
		}
		if f.timed {
			us := microseconds(f.latency)
			pf.LatencyUS = &us
		}
		for _, n := range f.headerTags {
			pf.Fields = append(pf.Fields, fmt.Sprintf("header tagged field %d: %s", n.tag, bytesText(n.raw)))
		}
		if f.dec != nil {
			for _, c := range f.dec.body.children {
				pf.Fields = append(pf.Fields, nodeLines(f, c, fieldsAll)...)
			}
			for _, p := range f.dec.problems {
				pf.Fields = append(pf.Fields, "! "+p.String())
			}
		} else if f.undecoded != "" && f.kind != saslToken && f.key != 36 {
			pf.Fields = append(pf.Fields, "(fields not decoded: "+f.undecoded+")")
		}
		shown := f.data[:min(f.shown, pageHexBytes)]
		pf.Hex = string(kafkadebug.AppendHexTable(nil, shown))
		switch rest := f.size - len(shown); {
		case rest == 0:
		case f.shown < f.size && len(shown) == f.shown:
			pf.HexNote = fmt.Sprintf("the other %s are not shown: %s", count(rest, "byte"), hiddenReason(f))
		default:
			pf.HexNote = fmt.Sprintf("%s more not shown", count(rest, "byte"))
		}
		pl.Frames = append(pl.Frames, pf)
	}
	if s := l.sum; s != nil {
		pl.Totals = fmt.Sprintf("%s (%s, %s) on %s, %s", count(s.frames, "frame"), count(s.requests, "request"), count(s.responses, "response"), count(s.connections, "connection"), count(s.problems, "problem"))
		for _, a := range s.apis {
			pa := pageAPI{API: a.api, Key: -1, Requests: a.requests, Responses: a.responses, Bytes: a.requestBytes + a.responseBytes, P50: "-", P99: "-", Max: "-"}
			if k, ok := keys[a.api]; ok {
				pa.Key = k
			}
			if a.latencies > 0 {
				pa.P50, pa.P99, pa.Max = latencyText(a.p50), latencyText(a.p99), latencyText(a.max)
			}
			pl.APIs = append(pl.APIs, pa)
		}
	}
	for _, p := range l.problems {
		pl.Problems = append(pl.Problems, pageProblem{Where: p.where, Text: p.text})
	}
	return pl
}
