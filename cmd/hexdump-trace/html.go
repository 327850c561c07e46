package main

// htmlPage collects the traces of every log for -html.
type htmlPage struct {
	logs []*htmlLog
}

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

func (p *htmlPage) writeFile(path string) error { return nil }
