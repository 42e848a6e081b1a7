package http1

// ChunkedScanner finds the end of a chunked body (RFC 9112 section 7.1)
// without copying it: the proxy forwards the raw bytes (chunk-size lines,
// data, trailer section) as they arrive and only needs to know where the
// body ends and whether it is well-formed.
//
// The zero value is ready to use with default limits and request-side
// errors; call Reset before scanning another body.
type ChunkedScanner struct {
	// Limits bounds chunk-size lines (MaxChunkLineBytes) and the trailer
	// section (MaxHeaderBytes, MaxHeaders). Zero fields take defaults.
	Limits Limits
	// Response makes errors carry status 502, for a body coming from
	// upstream.
	Response bool

	state    uint8
	digits   uint8  // hex digits seen in the current chunk-size
	size     uint64 // chunk size being parsed, then data bytes left
	line     int    // bytes of the current chunk-size line so far
	trailer  int    // bytes of the trailer section so far
	trailers int    // trailer field lines so far
	data     uint64 // chunk data bytes so far
	err      *Error
}

const (
	csSize      uint8 = iota // in chunk-size, expecting HEXDIG
	csExtBWS                 // whitespace after chunk-size: ";" must follow
	csExt                    // in chunk extensions, until CR
	csSizeLF                 // CR of the chunk-size line seen
	csData                   // in chunk data
	csDataCR                 // after data, expecting CR
	csDataLF                 // after data and CR, expecting LF
	csLineStart              // at the start of a trailer field line
	csName                   // in a trailer field name
	csValue                  // in a trailer field value
	csValueLF                // CR of a trailer field line seen
	csFinalLF                // CR of the final empty line seen
	csDone                   // body complete
)

// Reset prepares s for a new body; Limits and Response are kept.
func (s *ChunkedScanner) Reset() {
	*s = ChunkedScanner{Limits: s.Limits, Response: s.Response}
}

// DataLen returns the number of chunk-data bytes scanned so far: the
// decoded body's length, for body-size limits and byte counters.
func (s *ChunkedScanner) DataLen() int64 { return int64(s.data) }

// Done reports whether the body's end has been reached.
func (s *ChunkedScanner) Done() bool { return s.state == csDone }

// Scan consumes p, the next bytes of the body. It returns n, the number of
// leading bytes of p that belong to the body, and done = true once the
// last chunk, the trailer section and its final CRLF have been consumed:
// n then stops exactly at the end of the body and p[n:] belongs to the next
// message. While not done, n == len(p). Input may be split anywhere, down
// to one byte per call.
//
// A malformed body yields an *Error (status 400, or 502 with Response set;
// 431 for an oversized trailer section); the error is sticky until Reset.
// After done, Scan returns (0, true, nil). Scan does not allocate.
func (s *ChunkedScanner) Scan(p []byte) (n int, done bool, err error) {
	return s.scan(p, nil)
}

// ScanData is Scan that also calls data with each run of chunk data found
// in p (a sub-slice of p, valid as long as p is), in order: the pieces
// concatenate to the decoded body. Use it to re-frame a body, for example
// into HTTP/2 DATA frames.
func (s *ChunkedScanner) ScanData(p []byte, data func([]byte)) (n int, done bool, err error) {
	return s.scan(p, data)
}

func (s *ChunkedScanner) scan(p []byte, data func([]byte)) (int, bool, error) {
	if s.err != nil {
		return 0, false, s.err
	}
	if s.state == csDone {
		return 0, true, nil
	}
	i, e := s.step(p, data)
	if e != nil {
		if s.Response {
			e = e.forResponse()
		}
		s.err = e
		return 0, false, e
	}
	return i, s.state == csDone, nil
}

func (s *ChunkedScanner) step(p []byte, data func([]byte)) (int, *Error) {
	maxLine := s.Limits.chunkLineBytes()
	maxTrailer := s.Limits.headerBytes()
	i := 0
	for i < len(p) {
		c := p[i]
		switch s.state {
		case csSize, csExtBWS, csExt, csSizeLF:
			s.line++
			if s.line > maxLine {
				return 0, ErrChunkLineTooLong
			}
		case csLineStart, csName, csValue, csValueLF, csFinalLF:
			s.trailer++
			if s.trailer > maxTrailer {
				return 0, ErrTrailerTooLarge
			}
		}
		switch s.state {
		case csSize:
			// chunk-size = 1*HEXDIG
			if d := unhex(c); d >= 0 {
				// RFC 9112 section 7.1: "Recipients MUST anticipate
				// potentially large hexadecimal numerals and prevent
				// parsing errors due to integer conversion overflows or
				// precision loss due to integer representation."
				if s.digits == 16 || s.size > (1<<62)>>4 {
					return 0, ErrChunkSizeOverflow
				}
				s.digits++
				s.size = s.size<<4 | uint64(d)
				if s.size > 1<<62 {
					return 0, ErrChunkSizeOverflow
				}
				break
			}
			if s.digits == 0 {
				if c == '\n' {
					return 0, ErrBareLF
				}
				return 0, ErrInvalidChunkSize
			}
			switch c {
			case '\r':
				s.state = csSizeLF
			case ';':
				s.state = csExt
			case ' ', '\t':
				s.state = csExtBWS
			case '\n':
				return 0, ErrBareLF
			default:
				return 0, ErrInvalidChunkSize
			}
		case csExtBWS:
			// chunk-ext = *( BWS ";" BWS chunk-ext-name
			// [ BWS "=" BWS chunk-ext-val ] ): whitespace after the size
			// must lead to a ";".
			switch c {
			case ' ', '\t':
			case ';':
				s.state = csExt
			case '\n':
				return 0, ErrBareLF
			default:
				return 0, ErrInvalidChunkSize
			}
		case csExt:
			// Extensions are skipped (RFC 9112 section 7.1.1: "A recipient
			// MUST ignore unrecognized chunk extensions"), but no octet of
			// their grammar is a CTL other than HTAB, so a CR ends the
			// line and any other CTL is an error.
			if c == '\r' {
				s.state = csSizeLF
			} else if charClass[c]&cValue == 0 {
				if c == '\n' {
					return 0, ErrBareLF
				}
				return 0, ErrInvalidChunkExtension
			}
		case csSizeLF:
			if c != '\n' {
				return 0, ErrBareCR
			}
			s.line, s.digits = 0, 0
			if s.size == 0 {
				s.state = csLineStart // last-chunk: trailer section follows
			} else {
				s.state = csData
			}
		case csData:
			k := len(p) - i
			if uint64(k) > s.size {
				k = int(s.size)
			}
			if data != nil {
				data(p[i : i+k])
			}
			s.size -= uint64(k)
			s.data += uint64(k)
			i += k
			if s.size == 0 {
				s.state = csDataCR
			}
			continue
		case csDataCR:
			// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
			if c != '\r' {
				return 0, ErrMissingChunkCRLF
			}
			s.state = csDataLF
		case csDataLF:
			if c != '\n' {
				return 0, ErrMissingChunkCRLF
			}
			s.state = csSize
		case csLineStart:
			// trailer-section = *( field-line CRLF ), checked like the
			// header section (see scanFields).
			switch {
			case c == '\r':
				s.state = csFinalLF
			case c == '\n':
				return 0, ErrBareLF
			case c == ' ' || c == '\t':
				return 0, ErrObsFold
			case c == ':':
				return 0, ErrEmptyHeaderName
			case charClass[c]&cToken != 0:
				s.trailers++
				if s.trailers > s.Limits.headers() {
					return 0, ErrTooManyHeaders
				}
				s.state = csName
			default:
				return 0, ErrInvalidHeaderName
			}
		case csName:
			switch {
			case c == ':':
				s.state = csValue
			case charClass[c]&cToken != 0:
			case c == ' ' || c == '\t':
				// Trailers are forwarded as received, so the whitespace
				// cannot be removed for a response either: refuse it.
				return 0, ErrSpaceBeforeColon
			case c == '\n':
				return 0, ErrBareLF
			default:
				return 0, ErrInvalidHeaderName
			}
		case csValue:
			if c == '\r' {
				s.state = csValueLF
			} else if charClass[c]&cValue == 0 {
				if c == '\n' {
					return 0, ErrBareLF
				}
				return 0, ErrInvalidHeaderValue
			}
		case csValueLF:
			if c != '\n' {
				return 0, ErrBareCR
			}
			s.state = csLineStart
		case csFinalLF:
			if c != '\n' {
				return 0, ErrBareCR
			}
			s.state = csDone
			return i + 1, nil
		}
		i++
	}
	return i, nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}
