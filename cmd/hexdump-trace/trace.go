package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
)

// maxLineLength bounds one log line: the hex stream of the largest frame, with
// room for a logger's decorations. Longer lines are reported and skipped.
const maxLineLength = 2*maxFrameSize + 64<<10

// tracer runs the whole pipeline: lines, records, dumps, chunks, frames,
// annotated output. It is safe for concurrent use so that a logger's writer
// may feed it while the main goroutine finishes it.
type tracer struct {
	mu     sync.Mutex
	lineNo int
	asm    *assembler
	re     *reassembler
	an     *annotator
	events bool // print log entries that are not dumps
}

// view says what the trace shows besides one line per frame.
type view struct {
	events   bool        // the log's other entries (kafkaio's level-1 events)
	hexBytes int         // how many bytes of each frame to show as a hex table
	fields   fieldsDepth // how much of each decoded body to show
	json     bool        // JSON objects instead of text
	page     *htmlPage   // when set, also collects the trace for -html
}

// fieldsDepth is -fields: none, top or all.
type fieldsDepth int

const (
	fieldsAll fieldsDepth = iota
	fieldsTop
	fieldsNone
)

// lineNamer says where a line of the log is, in words a reader of the
// trace understands: "wire.log line 15".
type lineNamer func(line int) string

// fileLines names lines of a file (or of standard input).
func fileLines(name string) lineNamer {
	return func(line int) string { return fmt.Sprintf("%s line %d", name, line) }
}

// newTracer returns a tracer writing to out what v asks for about the log
// called name, whose lines names describes.
func newTracer(out io.Writer, v view, name string, names lineNamer) *tracer {
	var sinks multiSink
	if v.json {
		sinks = append(sinks, newJSONSink(out, v))
	} else {
		sinks = append(sinks, newTextSink(out, v))
	}
	if v.page != nil {
		sinks = append(sinks, v.page.sink(name))
	}
	t := &tracer{an: newAnnotator(sinks, name, names), events: v.events}
	t.re = newReassembler(t.an.frame, t.an.problem, t.an.quiet)
	t.asm = newAssembler(t.re.add, t.an.problem)
	return t
}

// line feeds the next line of the log, without its line break.
func (t *tracer) line(text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lineNo++
	t.addLocked(text)
}

func (t *tracer) addLocked(text string) {
	r := parseLine(t.lineNo, text)
	if classify(r.msg).kind == otherLine {
		switch {
		case looksLikeDumpLine(text):
			t.an.problem(t.lineNo, "line looks like part of a dump but cannot be read; skipped")
		case t.events && r.structured:
			t.an.event(r)
		}
		return
	}
	t.asm.add(r)
}

// looksLikeDumpLine catches dump lines inside a layout that failed to parse,
// such as a JSON entry cut in half.
func looksLikeDumpLine(s string) bool {
	return strings.Contains(s, hexStreamPrefix) || strings.Contains(s, requestPrefix) || strings.Contains(s, responsePrefix)
}

// finish ends the log: open dumps and partial frames are reported, then the
// summary is printed.
func (t *tracer) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.asm.flush()
	t.re.flush()
	t.an.out.summary(t.an.summary())
}

// readFrom feeds every line of r. Only a read error is returned; whatever the
// lines hold is reported in the output instead.
func (t *tracer) readFrom(r io.Reader) error {
	br := bufio.NewReaderSize(r, 16<<10)
	var long []byte
	for {
		part, err := br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			long = appendCapped(long, part)
			continue
		case long != nil:
			part = appendCapped(long, part)
			long = nil
		}
		if len(part) > 0 {
			t.feed(part)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// appendCapped grows a long line up to maxLineLength+1 bytes and then stops
// keeping it, so a runaway line costs bounded memory.
func appendCapped(dst, part []byte) []byte {
	if len(dst) > maxLineLength {
		return dst
	}
	return append(dst, part[:min(len(part), maxLineLength+1-len(dst))]...)
}

func (t *tracer) feed(line []byte) {
	if len(line) > maxLineLength {
		t.mu.Lock()
		t.lineNo++
		t.an.problem(t.lineNo, "line longer than %d bytes; skipped", maxLineLength)
		t.mu.Unlock()
		return
	}
	t.line(string(bytes.TrimRight(line, "\r\n")))
}

// lineWriter is an io.Writer that hands a tracer whole lines: a live
// exchange's logger writes into it.
type lineWriter struct {
	mu      sync.Mutex
	t       *tracer
	partial []byte
	tee     io.Writer // optional copy of the raw log
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tee != nil {
		_, _ = w.tee.Write(p)
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.t.feed(w.partial[:i+1])
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// flush hands over a last line that had no line break.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.t.feed(w.partial)
		w.partial = nil
	}
}
