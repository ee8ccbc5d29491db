package store_test

// The parent's side of TestMultiProcess's plumbing: the webhook receiver, and
// the worker processes with their line protocol (multiprocess_worker_test.go).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/signing"
)

// mpReceiver is the webhook receiver every worker posts to. It records each
// POST under its webhook-id, and answers 500 the first time it sees every
// 5th new id, so that those are retried.
type mpReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string][]mpReceived
	new int
}

type mpReceived struct{ path, body string }

func newMPReceiver(t *testing.T) *mpReceiver {
	r := &mpReceiver{got: map[string][]mpReceived{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		id := req.Header.Get(signing.StandardIDHeader)
		if !assert.NoError(t, err) || !assert.NotEmpty(t, id, "a delivery without webhook-id") {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		first := len(r.got[id]) == 0
		r.got[id] = append(r.got[id], mpReceived{path: req.URL.Path, body: string(body)})
		if first {
			r.new++
		}
		fail := first && r.new%5 == 0
		r.mu.Unlock()
		if fail {
			rw.WriteHeader(http.StatusInternalServerError)
			return
		}
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

// mpProc is a worker process and its line protocol.
type mpProc struct {
	index  int
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Scanner
	stderr *mpBuffer
}

// startMPProc starts worker i: this test binary, running only this test,
// told by its environment to be a worker.
func startMPProc(t *testing.T, i int, dsn string, seed *mpSeed) *mpProc {
	b, err := json.Marshal(seed)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestMultiProcess$", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), mpWorkerEnv+"="+strconv.Itoa(i), mpDSNEnv+"="+dsn, mpSeedEnv+"="+string(b))
	p := &mpProc{index: i, cmd: cmd, stderr: &mpBuffer{}}
	cmd.Stderr = p.stderr
	p.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	p.stdout = bufio.NewScanner(out)
	p.stdout.Buffer(nil, 64<<20)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// call sends one command and decodes the answer into reply (nil: none is
// awaited). Lines the test framework prints are passed over.
func (p *mpProc) call(command string, reply any) error {
	if _, err := io.WriteString(p.stdin, command+"\n"); err != nil {
		return fmt.Errorf("worker %d: %w", p.index, err)
	}
	if reply == nil {
		return nil
	}
	for p.stdout.Scan() {
		if line, ok := strings.CutPrefix(p.stdout.Text(), mpPrefix); ok {
			return json.Unmarshal([]byte(line), reply)
		}
	}
	return fmt.Errorf("worker %d ended without answering %.20q: %v\n%s", p.index, command, p.stdout.Err(), p.stderr.String())
}

// mpBroadcast sends each worker its command at once and waits for every
// answer.
func mpBroadcast(t *testing.T, procs []*mpProc, command func(i int) string, reply func(i int) any) {
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { errs[i] = p.call(command(i), reply(i)) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

// mpBuffer is a bytes.Buffer that a process's stderr may write while the
// test reads it.
type mpBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *mpBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *mpBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
