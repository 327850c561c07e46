package kafkaerr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

func TestCodeTableMatchesKafkaPM(t *testing.T) {
	want := map[kafkaerr.Code]string{
		-1000: "Invalid argument",
		-1001: "Cannot send",
		-1002: "No acknowledgement for sent request",
		-1003: "Cannot receive",
		-1004: "Cannot connect to broker",
		-1005: "Unknown metadata attributes",
		-1006: "Unknown ApiKey",
		-1007: "Cannot get metadata",
		-1008: "Leader not found",
		-1009: "Mismatch CorrelationId",
		-1010: "There are no known brokers",
		-1011: "Bad request or response element",
		-1012: "Topic does not match the requested",
		-1013: "Partition does not match the requested",
		-1014: "Unicode data is not allowed",
		-1015: "Compression error",
		-1016: "'ResponseMessage' not received",
		-1017: "'Incompatible host name and IP version'",
		-1018: "'No connection'",
		-1019: "'Group Coordinator Not Found'",
		-1020: "Authentication failed", // kafkaio's own, past Kafka.pm's table
	}
	codes := kafkaerr.Codes()
	if len(codes) != len(want) {
		t.Fatalf("Codes() has %d codes, want %d", len(codes), len(want))
	}
	for _, c := range codes {
		if got := c.Error(); got != want[c] {
			t.Errorf("Code(%d).Error() = %q, want %q", int(c), got, want[c])
		}
		if !c.Valid() {
			t.Errorf("Code(%d).Valid() = false", int(c))
		}
	}
	if kafkaerr.NoConnection != -1018 || kafkaerr.GroupCoordinatorNotFound != -1019 || kafkaerr.MismatchArgument != -1000 ||
		kafkaerr.AuthenticationFailed != -1020 {
		t.Error("named constants do not carry their table values")
	}
	if got := kafkaerr.Code(-42).Error(); got != "kafkaerr.Code(-42)" {
		t.Errorf("unknown code text = %q", got)
	}
	if kafkaerr.Code(-42).Valid() {
		t.Error("Code(-42).Valid() = true")
	}
}

func TestErrorMessageNamesEverything(t *testing.T) {
	e := kafkaerr.New(kafkaerr.CannotRecv, "receive", "127.0.0.1:9092", os.ErrDeadlineExceeded)
	e.Phase = "wait readable"
	e.Done, e.Total = 3, 10
	e.Budget = 1500 * time.Millisecond
	e.Retries, e.Interrupts = 1, 2
	e.Elapsed = 1501 * time.Millisecond
	want := "Cannot receive: receive 127.0.0.1:9092 (wait readable) [3 of 10 bytes, timeout 1.5s, retries 1, interrupts 2, elapsed 1.501s]: i/o timeout"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
}

func TestArgumentErrorIsOneSentence(t *testing.T) {
	e := kafkaerr.Argument("send", "message is empty")
	if got, want := e.Error(), "Invalid argument: send: message is empty"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, kafkaerr.MismatchArgument) || errors.Is(e, kafkaerr.CannotSend) {
		t.Error("argument error matches the wrong codes")
	}
	if e.Timeout() || e.Unwrap() != nil {
		t.Error("argument error claims a timeout or a cause")
	}
}

func TestOthersAreListed(t *testing.T) {
	e := kafkaerr.New(kafkaerr.CannotBind, "new", "localhost:9092", syscall.ECONNREFUSED)
	e.Others = []error{errors.New("second failed"), errors.New("third failed")}
	msg := e.Error()
	if !strings.Contains(msg, "(and 2 more: second failed; third failed)") {
		t.Errorf("message does not list the other attempts: %q", msg)
	}
}

func TestIsMatchesCodeAndCauseChain(t *testing.T) {
	cause := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	var err error = fmt.Errorf("wrapped: %w", kafkaerr.New(kafkaerr.CannotBind, "new", "h:1", cause))

	if !errors.Is(err, kafkaerr.CannotBind) {
		t.Error("errors.Is(err, CannotBind) = false")
	}
	if errors.Is(err, kafkaerr.NoConnection) {
		t.Error("errors.Is(err, NoConnection) = true")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Error("the errno is not reachable through the chain")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("a refused connect claims to be a timeout")
	}
	var ke *kafkaerr.Error
	if !errors.As(err, &ke) || ke.Code != kafkaerr.CannotBind || ke.Addr != "h:1" {
		t.Errorf("errors.As gave %+v", ke)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) {
		t.Error("errors.As cannot reach the *net.OpError cause")
	}
}

func TestEveryTimeoutMatchesBothDeadlineSentinels(t *testing.T) {
	causes := map[string]error{
		"poller deadline":  os.ErrDeadlineExceeded,
		"context deadline": context.DeadlineExceeded,
		"net timeout":      &net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded},
	}
	for name, cause := range causes {
		t.Run(name, func(t *testing.T) {
			e := kafkaerr.New(kafkaerr.CannotRecv, "receive", "h:1", cause)
			var ne net.Error = e // *Error satisfies net.Error
			if !ne.Timeout() {
				t.Error("Timeout() = false")
			}
			if !errors.Is(e, context.DeadlineExceeded) || !errors.Is(e, os.ErrDeadlineExceeded) {
				t.Error("a timeout does not match both deadline sentinels")
			}
		})
	}
	plain := kafkaerr.New(kafkaerr.CannotRecv, "receive", "h:1", io.ErrUnexpectedEOF)
	if plain.Timeout() || errors.Is(plain, context.DeadlineExceeded) {
		t.Error("a non-timeout matches a deadline sentinel")
	}
	kernel := kafkaerr.New(kafkaerr.CannotSend, "send", "h:1", os.NewSyscallError("send", syscall.ETIMEDOUT))
	if kernel.Timeout() || errors.Is(kernel, context.DeadlineExceeded) || errors.Is(kernel, os.ErrDeadlineExceeded) {
		t.Error("the kernel giving up on the peer (ETIMEDOUT) is reported as the caller's deadline")
	}
	if !errors.Is(kernel, syscall.ETIMEDOUT) {
		t.Error("ETIMEDOUT is not in the chain")
	}
	marked := kafkaerr.New(kafkaerr.CannotBind, "new", "h:1", errors.New("resolver gave up")).MarkTimeout()
	if !marked.Timeout() || !errors.Is(marked, context.DeadlineExceeded) {
		t.Error("MarkTimeout did not make the error a timeout")
	}
}

func TestCancellationIsNotATimeout(t *testing.T) {
	e := kafkaerr.New(kafkaerr.CannotRecv, "receive", "h:1", context.Canceled)
	if !errors.Is(e, context.Canceled) {
		t.Error("errors.Is(err, context.Canceled) = false")
	}
	if e.Timeout() {
		t.Error("a cancellation claims to be a timeout")
	}
}

func TestPlusVPrintsTheCallersStack(t *testing.T) {
	e := kafkaerr.New(kafkaerr.CannotSend, "send", "h:1", syscall.EPIPE)
	plain := fmt.Sprintf("%v", e)
	if plain != e.Error() {
		t.Errorf("%%v = %q, want Error()", plain)
	}
	full := fmt.Sprintf("%+v", e)
	if !strings.HasPrefix(full, e.Error()) {
		t.Errorf("%%+v does not start with the message: %q", full)
	}
	if !strings.Contains(full, "TestPlusVPrintsTheCallersStack") {
		t.Errorf("%%+v has no frame of the caller:\n%s", full)
	}
	if strings.Contains(full, "kafkaerr.New") || strings.Contains(full, "kafkaerr.callers") {
		t.Errorf("%%+v starts inside kafkaerr instead of at the caller:\n%s", full)
	}
	if len(e.StackTrace()) == 0 {
		t.Error("StackTrace() is empty")
	}
	if q := fmt.Sprintf("%q", e); q != fmt.Sprintf("%q", e.Error()) {
		t.Errorf("%%q = %s", q)
	}
}

// TestTemporaryIsTimeout checks that Temporary answers as the standard
// library's errors do: true for a timeout, false otherwise.
func TestTemporaryIsTimeout(t *testing.T) {
	timeout := kafkaerr.New(kafkaerr.CannotRecv, "receive", "127.0.0.1:9092", os.ErrDeadlineExceeded)
	reset := kafkaerr.New(kafkaerr.CannotRecv, "receive", "127.0.0.1:9092", syscall.ECONNRESET)
	var std net.Error
	if !errors.As(os.ErrDeadlineExceeded, &std) || !std.Temporary() {
		t.Fatal("the poller's deadline error is not Temporary: the premise changed")
	}
	if !timeout.Temporary() || reset.Temporary() {
		t.Errorf("Temporary() = %v for a timeout, %v for a reset; want true, false", timeout.Temporary(), reset.Temporary())
	}
}
