package audit

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// backBlock is how much backLines reads at a time. Entries are a few
// hundred bytes, so one read yields a few hundred of them.
const backBlock = 64 << 10

// backLines yields the lines of r[0:size) from the last to the first,
// reading blocks from the end, so that "the newest entries" costs the size
// of the answer rather than the size of the file.
//
// One trailing newline at size is the end of the last line, not an empty
// line after it; a last line without a newline (a torn write) is yielded as
// it is. Lines longer than maxLine are skipped: the writer never produces
// them, and holding one would let a damaged file exhaust memory.
type backLines struct {
	r    io.ReaderAt
	off  int64  // r[0:off) is not read yet
	data []byte // r[off:off+len(data)), the unyielded rest; ends at a line end
	skip bool   // discarding the tail of an over-long line
	done bool
	err  error
}

// newBackLines starts at size, which must be a line end or the end of the
// file.
func newBackLines(r io.ReaderAt, size int64) (*backLines, error) {
	b := &backLines{r: r, off: size}
	if size > 0 {
		var last [1]byte
		if _, err := r.ReadAt(last[:], size-1); err != nil {
			return nil, err
		}
		if last[0] == '\n' {
			b.off = size - 1
		}
	}
	return b, nil
}

// next returns the line before the previous one (without its newline) and
// the offset at which it starts; ok is false at the start of the file or on
// a read error (see b.err). The line is valid until the next call.
func (b *backLines) next() (line []byte, start int64, ok bool) {
	for {
		if i := bytes.LastIndexByte(b.data, '\n'); i >= 0 {
			line = b.data[i+1:]
			start = b.off + int64(i) + 1
			b.data = b.data[:i]
			if b.skip || len(line) > maxLine {
				b.skip = false
				continue
			}
			return line, start, true
		}
		if b.off == 0 {
			if b.done || b.skip {
				return nil, 0, false
			}
			b.done = true
			if len(b.data) > maxLine {
				return nil, 0, false
			}
			return b.data, 0, true
		}
		if len(b.data) > maxLine {
			// An over-long line: drop what we have of it and the rest up
			// to its start.
			b.data = b.data[:0]
			b.skip = true
		}
		n := int64(backBlock)
		if n > b.off {
			n = b.off
		}
		buf := make([]byte, int(n)+len(b.data))
		if _, err := b.r.ReadAt(buf[:n], b.off-n); err != nil && !errors.Is(err, io.EOF) {
			b.err = err
			return nil, 0, false
		}
		copy(buf[n:], b.data)
		b.data = buf
		b.off -= n
	}
}

// lineReader yields the lines of a stream in order, each with whether it
// ended with a newline (only the last line of a torn file does not), and
// flags lines longer than maxLine instead of holding them in memory.
type lineReader struct {
	br   *bufio.Reader
	long []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next line without its newline. tooLong reports a line
// over maxLine, of which line holds nothing. err is io.EOF at the end.
func (lr *lineReader) next() (line []byte, complete, tooLong bool, err error) {
	lr.long = lr.long[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		switch {
		case err == nil:
			if tooLong {
				return nil, true, true, nil
			}
			if len(lr.long) > 0 {
				lr.long = append(lr.long, frag[:len(frag)-1]...)
				return lr.long, true, false, nil
			}
			return frag[:len(frag)-1], true, false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if !tooLong {
				lr.long = append(lr.long, frag...)
				if len(lr.long) > maxLine {
					tooLong = true
					lr.long = lr.long[:0]
				}
			}
		case errors.Is(err, io.EOF):
			if tooLong {
				return nil, false, true, nil
			}
			if len(lr.long) > 0 || len(frag) > 0 {
				lr.long = append(lr.long, frag...)
				return lr.long, false, false, nil
			}
			return nil, false, false, io.EOF
		default:
			return nil, false, false, err
		}
	}
}

// lineAt returns the first line that starts at or after pos in r[0:size)
// (a line starts at 0 or after a newline), its start, and the offset just
// after its newline. ok is false if no line starts in [pos, size).
func lineAt(r io.ReaderAt, pos, size int64) (line []byte, start, next int64, ok bool, err error) {
	start = pos
	if pos > 0 {
		// Find the newline at or after pos-1.
		i, err := indexNewline(r, pos-1, size)
		if err != nil || i < 0 {
			return nil, 0, 0, false, err
		}
		start = i + 1
	}
	if start >= size {
		return nil, 0, 0, false, nil
	}
	end, err := indexNewline(r, start, size)
	if err != nil {
		return nil, 0, 0, false, err
	}
	if end < 0 {
		end = size
	}
	if end-start > maxLine {
		return nil, start, end + 1, true, nil // over-long: the caller skips it
	}
	line = make([]byte, end-start)
	if _, err := r.ReadAt(line, start); err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, 0, false, err
	}
	return line, start, end + 1, true, nil
}

// indexNewline returns the offset of the first newline in r[from:size), or
// -1.
func indexNewline(r io.ReaderAt, from, size int64) (int64, error) {
	var buf [4096]byte
	for from < size {
		n := int64(len(buf))
		if n > size-from {
			n = size - from
		}
		if _, err := r.ReadAt(buf[:n], from); err != nil && !errors.Is(err, io.EOF) {
			return -1, err
		}
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return from + int64(i), nil
		}
		from += n
	}
	return -1, nil
}
