package main

import (
	"bytes"
	"slices"
	"time"
)

// chunk is the payload of one dump: one Send, or one Receive chunk.
type chunk struct {
	dir    direction
	addr   string
	writer string
	line   int // the dump's header line
	time   time.Time
	data   []byte
	// damaged means data may be only the start of what was dumped.
	damaged bool
	// redacted, when not 0, makes this a chunk of bytes the log left out:
	// data is empty and the stream continues after that many bytes.
	// unknownBoundary says the dumper did not know where in the stream's
	// frames they were.
	redacted        int
	unknownBoundary bool
}

// openDump is a dump whose lines are still arriving.
type openDump struct {
	chunk
	hexSeen    bool
	hex        []byte
	hexProblem string
	table      []byte
	tableSeen  bool
	tableEnded bool // a short row was seen: the table is complete
	tableBad   bool
}

// assembler groups the lines of dumps into chunks. Lines of one dump are
// recognised by their writer (the entry's fields), so dumps of different
// connections may interleave line by line and still come apart.
type assembler struct {
	open map[string]*openDump
	// last is each writer's most recently finished dump, which a
	// redaction marker that ends it refers to.
	last   map[string]*chunk
	emit   func(chunk)
	report reporter
}

// reporter notes a problem found at a line of the log.
type reporter func(line int, format string, args ...any)

func newAssembler(emit func(chunk), report reporter) *assembler {
	return &assembler{open: map[string]*openDump{}, last: map[string]*chunk{}, emit: emit, report: report}
}

// add feeds one record to the assembler.
func (a *assembler) add(r record) {
	l := classify(r.msg)
	switch l.kind {
	case headerLine:
		a.header(r, l)
	case hexLine:
		a.hexStream(r, l.hex)
	case rowLine:
		a.row(r, l.row)
	case brokenRowLine:
		if d := a.open[r.writer]; d != nil {
			d.tableBad = true
			a.report(r.line, "damaged hex table row; the row is ignored")
		}
	case redactedLine:
		a.redacted(r, l.redacted, l.unknownBoundary)
	}
}

// redacted handles the line kafkaio ends a dump with when it left bytes
// out (SASL data): they follow the dump's bytes in the stream.
func (a *assembler) redacted(r record, n int, unknownBoundary bool) {
	if d := a.open[r.writer]; d != nil {
		a.finish(d)
	}
	last := a.last[r.writer]
	if last == nil {
		a.report(r.line, "a redaction marker with no dump before it; the bytes it stands for cannot be placed")
		return
	}
	delete(a.last, r.writer)
	c := chunk{dir: last.dir, addr: last.addr, writer: last.writer, line: r.line, time: r.time, redacted: n, unknownBoundary: unknownBoundary}
	if n <= 0 {
		// Without the count, where the stream goes on is unknown.
		a.report(r.line, "a redaction marker whose byte count cannot be read; the %s stream is lost until a frame visibly starts", last.dir)
		c.redacted, c.damaged = 0, true
	}
	a.emit(c)
}

func (a *assembler) header(r record, l dumpLine) {
	if d := a.open[r.writer]; d != nil {
		a.finish(d)
	}
	if l.addr == "" {
		a.report(r.line, "%s line without an address", l.dir)
	}
	a.open[r.writer] = &openDump{chunk: chunk{dir: l.dir, addr: l.addr, writer: r.writer, line: r.line, time: r.time}}
}

func (a *assembler) hexStream(r record, hex string) {
	d := a.open[r.writer]
	if d == nil {
		a.report(r.line, "hex stream without a \"# Request to\" or \"# Response from\" line before it; skipped")
		return
	}
	if d.hexSeen {
		a.report(r.line, "a second hex stream in the dump that starts at line %d; the dump ends there", d.line)
		a.finish(d)
		return
	}
	d.hexSeen = true
	d.hex, d.hexProblem = decodeHex(hex)
	a.finishIfComplete(d)
}

func (a *assembler) row(r record, row tableRow) {
	d := a.open[r.writer]
	if d == nil {
		a.report(r.line, "hex table row outside a dump; skipped")
		return
	}
	if d.tableBad || d.tableEnded {
		return
	}
	if row.offset != len(d.table) {
		a.report(r.line, "hex table row at offset %#x, expected %#x; the table is ignored", row.offset, len(d.table))
		d.tableBad = true
		return
	}
	d.tableSeen = true
	d.table = append(d.table, row.data...)
	d.tableEnded = len(row.data) < 16
	a.finishIfComplete(d)
}

// finishIfComplete ends a dump as soon as its last line has been seen, so a
// frame is reported where it appears rather than at the next dump.
func (a *assembler) finishIfComplete(d *openDump) {
	hexComplete := d.hexSeen && d.hexProblem == ""
	switch {
	case hexComplete && len(d.hex) == 0, // an empty chunk has no table
		hexComplete && len(d.table) >= len(d.hex),
		d.hexSeen && d.tableEnded:
		a.finish(d)
	}
}

// finish decides a dump's bytes and emits its chunk. The hex stream is the
// record of truth; the table is a second copy that stands in when the hex
// stream is damaged or missing.
func (a *assembler) finish(d *openDump) {
	delete(a.open, d.writer)
	c := d.chunk
	a.last[d.writer] = &d.chunk
	tableUsable := d.tableSeen && !d.tableBad && bytes.HasPrefix(d.table, d.hex)
	switch {
	case d.hexSeen && d.hexProblem == "":
		c.data = d.hex
		if d.tableSeen && !d.tableBad && !bytes.HasPrefix(d.hex, d.table) {
			a.report(d.line, "hex table disagrees with the hex stream at offset %#x; used the hex stream", mismatchAt(d.hex, d.table))
		}
	case tableUsable && len(d.table) > len(d.hex):
		c.data = d.table
		switch {
		case d.hexSeen:
			a.report(d.line, "%s; used the hex table (%d bytes)", d.hexProblem, len(d.table))
		default:
			a.report(d.line, "dump has no hex stream; used the hex table (%d bytes)", len(d.table))
		}
	case d.hexSeen:
		c.data, c.damaged = d.hex, true
		a.report(d.line, "%s; kept the first %d bytes", d.hexProblem, len(d.hex))
	default:
		c.damaged = true
		a.report(d.line, "dump has neither a hex stream nor a hex table")
	}
	a.emit(c)
}

// flush ends every open dump, oldest first, at the end of the log.
func (a *assembler) flush() {
	var ds []*openDump
	for _, d := range a.open {
		ds = append(ds, d)
	}
	slices.SortFunc(ds, func(x, y *openDump) int { return x.line - y.line })
	for _, d := range ds {
		a.finish(d)
	}
}

func mismatchAt(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
