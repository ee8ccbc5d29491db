package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/paykit/paykit"
)

// PanicError carries a value recovered from a panic in a transaction function.
// Group commit runs functions in whichever goroutine leads the batch, so the
// leader recovers the panic, rolls the function back, and InTx re-raises it as
// a *PanicError in the goroutine that called it.
type PanicError struct {
	Value any
	Stack []byte // the stack of the panicking goroutine
}

// Error implements error.
func (p *PanicError) Error() string {
	return fmt.Sprintf("panic in transaction: %v\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value when it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// op is one InTx call waiting for, or done by, a batch.
type op struct {
	ctx   context.Context
	fn    func(paykit.Tx) error
	err   error
	panic *PanicError
	done  chan struct{} // closed when err and panic are final
}

func (o *op) result() error {
	if o.panic != nil {
		panic(o.panic)
	}
	return o.err
}

// InTx runs fn in a write transaction: committed when fn returns nil, rolled
// back when it returns an error (returned as is) or panics (re-raised as a
// *PanicError). A canceled ctx fails the call before fn runs; once fn runs, its
// statements are not interrupted, since an interrupted write could roll back
// the whole shared transaction.
//
// Inside fn, use only the Tx fn is given: the DB's own reads run on the read
// pool and do not see fn's writes, and a nested db.InTx waits for fn to
// finish, forever.
func (d *DB) InTx(ctx context.Context, fn func(paykit.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.pg != nil {
		return d.pgInTx(ctx, fn)
	}
	o := &op{ctx: ctx, fn: fn, done: make(chan struct{})}
	if !d.groupCommit {
		select {
		case d.lead <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		d.lead1([]*op{o})
		return o.result()
	}

	d.mu.Lock()
	d.queue = append(d.queue, o)
	d.mu.Unlock()
	for {
		select {
		case <-o.done:
			return o.result()
		case d.lead <- struct{}{}:
			// Leading one batch: it holds our op unless an earlier leader
			// took it, or more than maxBatch ops were queued before it.
			d.lead1(d.take())
		case <-ctx.Done():
			if d.dequeue(o) {
				return ctx.Err()
			}
			<-o.done
			return o.result()
		}
	}
}

// lead1 runs one batch and gives up leadership, whatever happens in it.
func (d *DB) lead1(ops []*op) {
	defer func() { <-d.lead }()
	if len(ops) > 0 {
		d.batches.Add(1)
		d.run(ops)
	}
}

// take removes up to maxBatch ops from the head of the queue.
func (d *DB) take() []*op {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := min(len(d.queue), maxBatch)
	ops := make([]*op, n)
	copy(ops, d.queue)
	d.queue = d.queue[:copy(d.queue, d.queue[n:])]
	return ops
}

// dequeue removes o from the queue if no leader has taken it yet.
func (d *DB) dequeue(o *op) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, q := range d.queue {
		if q == o {
			d.queue = append(d.queue[:i], d.queue[i+1:]...)
			return true
		}
	}
	return false
}

// run executes ops in one transaction, each in its own savepoint (a lone op
// needs none: the transaction is its savepoint), commits once, and then
// delivers every op's outcome. If the commit fails, nothing committed, and
// every op that had succeeded gets the commit's error.
func (d *DB) run(ops []*op) {
	finished := false
	defer func() {
		if !finished { // fn called runtime.Goexit (t.FailNow, say)
			for _, o := range ops {
				if o.err == nil && o.panic == nil {
					o.err = errors.New("store: transaction abandoned: a function exited its goroutine")
				}
			}
		}
		for _, o := range ops {
			close(o.done)
		}
	}()

	bg := context.Background()
	if err := d.beginWrite(func() error { return allDone(ops) }); err != nil {
		for _, o := range ops {
			o.err = unavailable(err)
		}
		finished = true
		return
	}
	committed := false
	defer func() {
		if !committed {
			d.wconn.ExecContext(bg, "ROLLBACK") // the transaction may already be gone; nothing to report
		}
	}()
	t := &tx{&view{db: d, q: d.wconn, inTx: true, state: &txState{}}}
	ok := 0
	for _, o := range ops {
		if err := o.ctx.Err(); err != nil {
			o.err = err
			continue
		}
		if len(ops) > 1 {
			if _, err := t.raw(bg, "SAVEPOINT op"); err != nil {
				t.state.broken = fmt.Errorf("savepoint: %w", err)
				break
			}
		}
		o.err, o.panic = call(o.fn, t)
		if o.err == nil && o.panic == nil {
			ok++
		}
		if len(ops) > 1 && t.state.broken == nil {
			if o.err != nil || o.panic != nil {
				t.rollbackTo("op")
			} else if _, err := t.raw(bg, "RELEASE op"); err != nil {
				t.state.broken = err
			}
		}
		if t.state.broken != nil {
			break
		}
	}

	switch {
	case t.state.broken != nil:
		// An I/O error, a full disk or a failed savepoint: SQLite may have rolled
		// back the whole transaction, so none of it may commit.
		for _, o := range ops {
			if o.err == nil && o.panic == nil {
				o.err = fmt.Errorf("store: transaction aborted: %w", unavailable(t.state.broken))
			}
		}
	case ok == 0:
		// Nothing to commit; the deferred Rollback discards any partial work.
	default:
		if _, err := d.wconn.ExecContext(bg, "COMMIT"); err != nil {
			for _, o := range ops {
				if o.err == nil && o.panic == nil {
					o.err = fmt.Errorf("commit: %w", unavailable(err))
				}
			}
		} else {
			committed = true
		}
	}
	finished = true
}

// call runs fn, turning a panic into a *PanicError.
func call(fn func(paykit.Tx) error, t *tx) (err error, p *PanicError) {
	defer func() {
		if r := recover(); r != nil {
			if pe, ok := r.(*PanicError); ok {
				p = pe
			} else {
				p = &PanicError{Value: r, Stack: debug.Stack()}
			}
		}
	}()
	return fn(t), nil
}

// allDone returns an error when every op's context has ended: a batch stops
// waiting for the write lock only when nobody wants it any more.
func allDone(ops []*op) error {
	var err error
	for _, o := range ops {
		if err = o.ctx.Err(); err == nil {
			return nil
		}
	}
	return err
}

// tx is the paykit.Tx that InTx hands to fn: a view of the write transaction
// with the write methods. Only InTx makes one, so a write outside a
// transaction does not compile.
type tx struct {
	*view
}

// txState is shared by every Store view of one write transaction.
type txState struct {
	savepoints int
	// broken is the error after which the database may have rolled back the
	// whole transaction on its own; no further statement runs and nothing
	// commits.
	broken error
	// conflicted is set when an insert found its key taken (see insert): on
	// PostgreSQL, by a transaction that may have committed after this one
	// read that the key was free.
	conflicted bool
}

// insert runs an INSERT that may find one of its unique keys taken, as an
// insert-if-absent: a taken key inserts nothing and returns an ECONFLICT
// with msg, and leaves the transaction usable (a failed statement would end a
// PostgreSQL transaction). Any other failure is wrapped with what.
func (t *tx) insert(ctx context.Context, msg, what, query string, args ...any) error {
	_, err := t.inserted(ctx, msg, what, query, args...)
	return err
}

// insertRowID is insert for a table keyed by SQLite's rowid, on SQLite: it
// returns the new row's rowid. It costs about 30 % less CPU than the same
// INSERT with RETURNING (BenchmarkDB_AppendEvent), whose row SQLite buffers
// and the driver then reads as a query's.
func (t *tx) insertRowID(ctx context.Context, msg, what, query string, args ...any) (int64, error) {
	res, err := t.inserted(ctx, msg, what, query, args...)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return id, nil
}

// inserted runs insert's statement and returns its result.
func (t *tx) inserted(ctx context.Context, msg, what, query string, args ...any) (sql.Result, error) {
	res, err := t.exec(ctx, query+" ON CONFLICT DO NOTHING", args...)
	if err != nil {
		return nil, insufficient(err, msg, what)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	} else if n == 0 {
		return nil, t.taken(msg)
	}
	return res, nil
}

// insertReturning is insert for an INSERT that reads back returning, a
// column the database gives the row, into dest.
func (t *tx) insertReturning(ctx context.Context, dest any, returning, msg, what, query string, args ...any) error {
	err := t.get(ctx, dest, query+" ON CONFLICT DO NOTHING RETURNING "+returning, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return t.taken(msg)
	} else if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// taken records that an insert found its key taken (see txState.conflicted)
// and returns the ECONFLICT with msg.
func (t *tx) taken(msg string) error {
	t.state.conflicted = true
	return paykit.Errorf(paykit.ECONFLICT, "%s", msg)
}

// InTx on a transaction's Store nests fn in a savepoint: released when fn
// returns nil, rolled back to when fn returns an error or panics (the panic
// goes on up).
func (t *tx) InTx(ctx context.Context, fn func(paykit.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.state.savepoints++
	name := fmt.Sprintf("sp%d", t.state.savepoints)
	if _, err := t.raw(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	done := false
	defer func() {
		if !done {
			t.rollbackTo(name)
		}
	}()
	if err := fn(t); err != nil {
		done = true
		if rerr := t.rollbackTo(name); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	done = true
	if _, err := t.raw(ctx, "RELEASE "+name); err != nil {
		t.state.broken = err
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// rollbackTo undoes the work since savepoint name and removes it. If that
// fails the transaction cannot be trusted, and is marked broken.
func (t *tx) rollbackTo(name string) error {
	if t.state.broken != nil {
		return t.state.broken
	}
	ctx := context.Background()
	if _, err := t.q.ExecContext(ctx, "ROLLBACK TO "+name); err != nil {
		t.state.broken = err
		return fmt.Errorf("rollback to savepoint: %w", err)
	}
	if _, err := t.q.ExecContext(ctx, "RELEASE "+name); err != nil {
		t.state.broken = err
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
