package httpapi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Serving the dialects to clients that may be slow or greedy: NewServer is an
// *http.Server whose timeouts, header and body limits, and caps on
// connections, requests in progress and memory of request bodies keep any
// number of clients from exhausting the process (issue 13). A host with its
// own server uses Limit and LimitListener, the two halves of it.

// ServerLimits bound what clients may hold of a server: time, connections,
// requests in progress, and the memory of request bodies. A zero field takes
// its default (DefaultServerLimits); a negative one turns that limit off. What
// the caps refuse is answered 503 with Retry-After, never left to fail later
// as a 500.
type ServerLimits struct {
	// ReadHeaderTimeout bounds reading a request's line and headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, its body included, from
	// its first byte: a client that trickles its body is cut off then (408).
	// Once a request is read, its handler is not bound by it.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response, from the end of the request's
	// headers. A streamed list extends it for each chunk it writes, so a long
	// download works while the client reads.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection idle for so long.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers (431 beyond).
	MaxHeaderBytes int
	// MaxBodyBytes bounds a request body: a longer one reaches its dialect
	// cut there, which answers 413 in its own shape.
	MaxBodyBytes int64
	// MaxBodyMemory bounds the memory that the bodies of the requests in
	// progress hold together, counted as they arrive (a slow body holds only
	// what has come). A body that would pass it is 503.
	MaxBodyMemory int64
	// MaxConcurrent bounds the requests handled at once, once their bodies
	// have arrived: a slow client holds none of these. A request waits up to
	// QueueWait for its turn, then is 503.
	MaxConcurrent int
	QueueWait     time.Duration
	// MaxConns bounds the open connections: one past it is answered 503 and
	// closed at once, so that the process keeps file descriptors for its
	// database and its listener. By default 1024, or fewer when the
	// process's open-file limit is low: that limit less 128.
	MaxConns int
	// RetryAfter is what these 503s tell a client to wait.
	RetryAfter time.Duration
}

// DefaultServerLimits are the limits NewServer applies by default.
var DefaultServerLimits = ServerLimits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      time.Minute,
	IdleTimeout:       2 * time.Minute,
	MaxHeaderBytes:    64 << 10,
	MaxBodyBytes:      maxBodyBytes,
	MaxBodyMemory:     8 << 20,
	MaxConcurrent:     32,
	QueueWait:         time.Second,
	MaxConns:          1024,
	RetryAfter:        time.Second,
}

// fdReserve is how many file descriptors MaxConns leaves by default for
// everything but connections: the database's files, the listener, logs.
const fdReserve = 128

// withDefaults returns l with its zero fields set to the defaults and its
// negative ones to 0 (off).
func (l ServerLimits) withDefaults() ServerLimits {
	d := DefaultServerLimits
	if n, ok := openFileLimit(); ok && n > fdReserve+16 {
		d.MaxConns = int(min(uint64(d.MaxConns), n-fdReserve))
	} else if ok {
		d.MaxConns = 16
	}
	pick(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	pick(&l.ReadTimeout, d.ReadTimeout)
	pick(&l.WriteTimeout, d.WriteTimeout)
	pick(&l.IdleTimeout, d.IdleTimeout)
	pick(&l.MaxHeaderBytes, d.MaxHeaderBytes)
	pick(&l.MaxBodyBytes, d.MaxBodyBytes)
	pick(&l.MaxBodyMemory, d.MaxBodyMemory)
	pick(&l.MaxConcurrent, d.MaxConcurrent)
	pick(&l.QueueWait, d.QueueWait)
	pick(&l.MaxConns, d.MaxConns)
	pick(&l.RetryAfter, d.RetryAfter)
	return l
}

func pick[T int | int64 | time.Duration](v *T, def T) {
	switch {
	case *v == 0:
		*v = def
	case *v < 0:
		*v = 0
	}
}

// Server is an *http.Server with ServerLimits. Its Serve and ListenAndServe
// cap the connections; the rest of its limits are in its fields and Handler.
type Server struct {
	*http.Server
	limits ServerLimits
}

// NewServer returns a Server of h under limits l (see ServerLimits): its
// timeouts and MaxHeaderBytes are set, and its Handler is h behind Limit.
// Set its Addr and ErrorLog as with any *http.Server.
func NewServer(h http.Handler, l ServerLimits) *Server {
	l = l.withDefaults()
	return &Server{limits: l, Server: &http.Server{
		Handler:           Limit(h, l),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}}
}

// Limits returns the limits s applies, defaults filled in (0 for off).
func (s *Server) Limits() ServerLimits { return s.limits }

// Serve serves connections from ln, at most MaxConns at once (see
// LimitListener).
func (s *Server) Serve(ln net.Listener) error {
	return s.Server.Serve(LimitListener(ln, s.limits.MaxConns, s.limits.RetryAfter))
}

// ListenAndServe listens on s.Addr (":http" if empty) and serves as Serve.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = ":http"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// busyBody is the body of the 503s of the limits. They are answered before
// any dialect has the request, so in none of their shapes: GigPay's, which is
// the events API's too.
const busyBody = `{"error":{"code":"unavailable","message":"The server is busy: retry after the time in Retry-After."}}` + "\n"

// retryAfterValue is d as a Retry-After header gives it: whole seconds,
// rounded up, at least 1.
func retryAfterValue(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// Limit returns h behind the request limits of l: each request's body is read
// first, at most MaxBodyBytes of it, within MaxBodyMemory for all bodies
// being read or handled; then the request waits up to QueueWait for one of
// MaxConcurrent turns. Either limit reached is 503 with Retry-After; a body
// that does not arrive within the server's ReadTimeout is 408. Reading the
// body before taking a turn means that clients trickling their bodies hold
// connections and a little memory, never the turns that every other request
// needs. Once the body is read, the read deadline is lifted for the rest of
// the request, so that a handler that takes longer than ReadTimeout (a long
// list) is not canceled by it.
//
// After a burst of large bodies it returns the memory they used to the
// operating system (debug.FreeOSMemory, at most every 2 seconds): Go
// otherwise keeps it until a garbage collection that an idle server may not
// run for minutes.
func Limit(h http.Handler, l ServerLimits) http.Handler {
	l = l.withDefaults()
	lm := &limiter{h: h, l: l}
	if l.MaxConcurrent > 0 {
		lm.turns = make(chan struct{}, l.MaxConcurrent)
	}
	return lm
}

type limiter struct {
	h     http.Handler
	l     ServerLimits
	turns chan struct{} // nil: no cap

	held     atomic.Int64 // bytes reserved by the bodies of the requests in progress
	peak     atomic.Int64 // the most held since memory was last freed
	lastFree time.Time    // of the last FreeOSMemory; only the freeing goroutine uses it
	freeing  atomic.Bool  // a goroutine is about to free memory
}

// errBusy is a body refused for want of MaxBodyMemory.
var errBusy = errors.New("httpapi: request bodies hold all the memory allowed")

func (lm *limiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody {
		body, held, err := lm.readBody(r)
		defer lm.release(held)
		switch {
		case errors.Is(err, errBusy):
			lm.busy(w)
			return
		case err != nil:
			// The client is gone, or too slow: ReadTimeout passed.
			w.Header().Set("Connection", "close")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestTimeout)
			io.WriteString(w, `{"error":{"code":"timeout","message":"The request body did not arrive in time."}}`+"\n")
			return
		}
		r.Body = body
	}
	// The request is read: the rest of it is the handler's time, which
	// ReadTimeout must not cut (the server's background read of the
	// connection would cancel the request's context at the deadline).
	// Real time: the network's deadline, not the Service's Clock.
	http.NewResponseController(w).SetReadDeadline(time.Time{})

	if lm.turns != nil {
		select {
		case lm.turns <- struct{}{}:
		default:
			wait := time.NewTimer(lm.l.QueueWait)
			select {
			case lm.turns <- struct{}{}:
				wait.Stop()
			case <-wait.C:
				lm.busy(w)
				return
			case <-r.Context().Done():
				wait.Stop()
				return
			}
		}
		defer func() { <-lm.turns }()
	}
	lm.h.ServeHTTP(w, r)
}

// busy answers 503 with Retry-After.
func (lm *limiter) busy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", retryAfterValue(lm.l.RetryAfter))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, busyBody)
}

// bodyChunk is the least a body's buffer holds and grows by: what a slow
// body holds of MaxBodyMemory before more of it arrives.
const bodyChunk = 4 << 10

// readBody reads r's body, up to MaxBodyBytes and one byte more, into memory
// reserved from MaxBodyMemory as it arrives, and returns a body that gives
// those bytes, then a *http.MaxBytesError if there were more, and how much it
// reserved (to release when the request is done, whatever the error).
func (lm *limiter) readBody(r *http.Request) (io.ReadCloser, int64, error) {
	limit := lm.l.MaxBodyBytes
	want := limit + 1 // to know whether there was more
	if limit == 0 {
		want = 1<<63 - 1
	}
	var held int64
	buf := make([]byte, 0)
	for {
		if len(buf) == cap(buf) {
			grow := max(int64(cap(buf)), bodyChunk)
			if r.ContentLength > 0 {
				// Never more than the client said it sends, and one byte.
				grow = min(grow, max(r.ContentLength+1-int64(cap(buf)), bodyChunk))
			}
			grow = min(grow, want-int64(cap(buf)))
			if grow <= 0 {
				break
			}
			if !lm.reserve(grow) {
				return nil, held, errBusy
			}
			held += grow
			nb := make([]byte, len(buf), int64(cap(buf))+grow)
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, held, err
		}
	}
	if limit > 0 && int64(len(buf)) > limit {
		return &bufferedBody{Reader: io.MultiReader(bytes.NewReader(buf[:limit]), errReader{&http.MaxBytesError{Limit: limit}}), orig: r.Body}, held, nil
	}
	return &bufferedBody{Reader: bytes.NewReader(buf), orig: r.Body, whole: buf}, held, nil
}

// bufferedBody is a request body read ahead; closing it closes the original.
type bufferedBody struct {
	io.Reader
	orig  io.ReadCloser
	whole []byte // all of it, when it was within the limit; the dialects read it without a copy
}

func (b *bufferedBody) Close() error { return b.orig.Close() }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// reserve takes n bytes of MaxBodyMemory, and reports whether it could.
func (lm *limiter) reserve(n int64) bool {
	if lm.l.MaxBodyMemory == 0 {
		return true
	}
	h := lm.held.Add(n)
	if h > lm.l.MaxBodyMemory {
		lm.held.Add(-n)
		return false
	}
	for p := lm.peak.Load(); h > p && !lm.peak.CompareAndSwap(p, h); p = lm.peak.Load() {
	}
	return true
}

// minFreeInterval spaces the returns of memory to the operating system,
// which the limiter makes once no body is held after a peak of at least half
// of MaxBodyMemory.
const minFreeInterval = 2 * time.Second

// release gives back n bytes of MaxBodyMemory. When nothing is held any more
// after a burst, it returns the memory to the operating system, at once or,
// if it did so less than minFreeInterval ago, then.
func (lm *limiter) release(n int64) {
	if n == 0 || lm.l.MaxBodyMemory == 0 {
		return
	}
	if lm.held.Add(-n) != 0 || lm.peak.Load() < lm.l.MaxBodyMemory/2 || !lm.freeing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer lm.freeing.Store(false)
		// Real time: how often to do the runtime's work, nothing of the Clock's.
		time.Sleep(time.Until(lm.lastFree.Add(minFreeInterval)))
		lm.peak.Store(0)
		lm.lastFree = time.Now()
		debug.FreeOSMemory()
	}()
}

// LimitListener returns ln accepting at most maxConns connections open at
// once (no cap when maxConns <= 0). A connection past the cap is answered
// "503 Service Unavailable" with Retry-After (retryAfter, in whole seconds)
// and closed, and never reaches the server; the answer is plain HTTP/1.1, so
// behind TLS terminate TLS in front of it.
func LimitListener(ln net.Listener, maxConns int, retryAfter time.Duration) net.Listener {
	if maxConns <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, open: make(chan struct{}, maxConns),
		refusing: make(chan struct{}, refusers), retryAfter: retryAfterValue(retryAfter)}
}

// refusers bounds the connections being refused at once; past it, they are
// closed without an answer.
const refusers = 64

type limitListener struct {
	net.Listener
	open       chan struct{}
	refusing   chan struct{}
	retryAfter string
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.open <- struct{}{}:
			return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.open })}, nil
		default:
		}
		select {
		case l.refusing <- struct{}{}:
			go l.refuse(c)
		default:
			c.Close()
		}
	}
}

// refuse answers c 503 and closes it. It waits for the request's head first
// (for up to a second): an answer that arrives before the request is one an
// HTTP client may take for a stray and drop with the connection. Then it reads
// what else the client sent, so that closing does not reset the connection
// before the client reads the answer.
func (l *limitListener) refuse(c net.Conn) {
	defer func() { <-l.refusing }()
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second)) // real time: the network's
	head := bufio.NewReader(io.LimitReader(c, 64<<10))
	for {
		line, err := head.ReadString('\n')
		if err != nil || line == "\r\n" || line == "\n" {
			break
		}
	}
	io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: "+l.retryAfter+
		"\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(busyBody))+
		"\r\nConnection: close\r\n\r\n"+busyBody)
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, head)
}

// limitConn gives its place back when it is closed.
type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// CloseWrite closes the sending side, as the server does before closing a
// connection gracefully.
func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
