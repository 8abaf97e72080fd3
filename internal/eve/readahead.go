package eve

import (
	"io"
	"sync"
)

// Readahead decompresses on another goroutine: reading a rotated .gz then
// uses the second core for inflate while the caller parses on the first.
type Readahead struct {
	ch   chan chunk
	free chan []byte
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	cur  []byte // unread part of whole
	held []byte // the buffer cur points into, recycled when spent
	err  error
}

type chunk struct {
	buf []byte
	err error
}

const (
	raChunk = 1 << 20
	raDepth = 4
)

// NewReadahead starts reading r in the background; Close stops it.
func NewReadahead(r io.Reader) *Readahead {
	ra := &Readahead{ch: make(chan chunk, raDepth), free: make(chan []byte, raDepth+2), stop: make(chan struct{})}
	ra.wg.Add(1)
	go ra.fill(r)
	return ra
}

func (ra *Readahead) fill(r io.Reader) {
	defer ra.wg.Done()
	defer close(ra.ch)
	for {
		select {
		case <-ra.stop:
			return
		default:
		}
		var buf []byte
		select {
		case buf = <-ra.free:
		default:
			buf = make([]byte, raChunk)
		}
		// Fill the buffer, keeping the source's own error: a truncated gzip
		// says io.ErrUnexpectedEOF, which io.ReadFull would blur with a
		// short last read.
		n := 0
		var err error
		for n < raChunk && err == nil {
			var m int
			m, err = r.Read(buf[n:raChunk])
			n += m
		}
		select {
		case ra.ch <- chunk{buf: buf[:n], err: err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read implements io.Reader, returning the source's error (io.EOF, or
// io.ErrUnexpectedEOF for a truncated gzip) after the data before it.
func (ra *Readahead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.err != nil {
			return 0, ra.err
		}
		c, ok := <-ra.ch
		if !ok {
			if ra.err == nil {
				ra.err = io.EOF
			}
			return 0, ra.err
		}
		ra.cur, ra.held, ra.err = c.buf, c.buf, c.err
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	if len(ra.cur) == 0 && ra.held != nil {
		select { // recycle the spent buffer
		case ra.free <- ra.held[:cap(ra.held)]:
		default:
		}
		ra.held = nil
	}
	return n, nil
}

// Close stops the background reader and waits for it.
func (ra *Readahead) Close() error {
	ra.once.Do(func() { close(ra.stop) })
	for range ra.ch {
	}
	ra.wg.Wait()
	return nil
}
