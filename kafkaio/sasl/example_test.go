package sasl_test

import (
	"context"
	"fmt"

	"github.com/kafkaio/kafkaio/internal/saslserver"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
)

// authenticate runs mech against an in-process broker-side computation the
// way kafkaio runs it over SaslAuthenticate requests: Start's message goes
// first, each server answer goes to Next, until Next is done. It returns the
// number of messages the client sent.
func authenticate(mech sasl.Mechanism, broker saslserver.Server) (int, error) {
	ctx := context.Background()
	session, msg, err := mech.Start(ctx)
	if err != nil {
		return 0, err
	}
	exchange := broker.Start()
	for sent := 1; ; sent++ {
		// kafkaio: send msg in a SaslAuthenticate request; the response's
		// error code ends the exchange, its auth_bytes are the challenge.
		challenge, _, err := exchange.Step(msg)
		if err != nil {
			return sent, fmt.Errorf("broker: %w", err)
		}
		done, resp, err := session.Next(ctx, challenge)
		if err != nil {
			return sent, err
		}
		if done {
			return sent, nil
		}
		msg = resp
	}
}

// The exchange loop a caller runs, written out: here with SCRAM-SHA-256
// against a broker-side computation that knows the password.
func Example() {
	ctx := context.Background()
	mech := sasl.ScramSHA256("alice", "alice-secret")
	broker := saslserver.ScramSHA256("alice", "alice-secret").Start()

	session, msg, err := mech.Start(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		challenge, _, err := broker.Step(msg) // a SaslAuthenticate round trip
		if err != nil {
			fmt.Println("broker refused:", err)
			return
		}
		done, resp, err := session.Next(ctx, challenge)
		if err != nil {
			fmt.Println(err)
			return
		}
		if done {
			break
		}
		msg = resp
	}
	fmt.Println(mech.Name(), "authenticated")
	// Output: SCRAM-SHA-256 authenticated
}

func ExamplePlain() {
	n, err := authenticate(sasl.Plain("alice", "alice-secret"), saslserver.Plain{User: "alice", Pass: "alice-secret"})
	fmt.Println(n, "message, error:", err)

	_, _, err = sasl.Plain("alice", "").Start(context.Background())
	fmt.Println(err)
	// Output:
	// 1 message, error: <nil>
	// sasl PLAIN: empty password
}

func ExampleScramSHA256() {
	n, err := authenticate(sasl.ScramSHA256("alice", "alice-secret"), saslserver.ScramSHA256("alice", "alice-secret"))
	fmt.Println(n, "messages, error:", err)

	// A server that does not know the password cannot sign the exchange.
	impostor := saslserver.ScramSHA256("alice", "alice-secret")
	impostor.Fault = saslserver.ScramWrongSignature
	_, err = authenticate(sasl.ScramSHA256("alice", "alice-secret"), impostor)
	fmt.Println(err)
	// Output:
	// 2 messages, error: <nil>
	// sasl SCRAM-SHA-256: server signature does not match: the server does not know the password
}

func ExampleScramSHA512() {
	n, err := authenticate(sasl.ScramSHA512("alice", "alice-secret"), saslserver.ScramSHA512("alice", "alice-secret"))
	fmt.Println(n, "messages, error:", err)

	// RFC 7677 requires at least 4096 iterations.
	weak := saslserver.ScramSHA512("alice", "alice-secret")
	weak.Iterations = 1000
	_, err = authenticate(sasl.ScramSHA512("alice", "alice-secret"), weak)
	fmt.Println(err)
	// Output:
	// 2 messages, error: <nil>
	// sasl SCRAM-SHA-512: iteration count 1000 is outside [4096, 1048576]
}

func ExampleOAuthBearer() {
	token := func(ctx context.Context) (string, error) {
		// A real callback asks an identity provider, honouring ctx.
		return "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", nil
	}
	broker := saslserver.OAuthBearer{Token: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."}
	n, err := authenticate(sasl.OAuthBearer(token), broker)
	fmt.Println(n, "message, error:", err)

	// A token the broker does not accept: its JSON error is answered with
	// 0x01, then the broker fails the request with that JSON.
	stale := func(context.Context) (string, error) { return "stale.token", nil }
	n, err = authenticate(sasl.OAuthBearer(stale), broker)
	fmt.Println(n, "messages, error:", err)
	// Output:
	// 1 message, error: <nil>
	// 2 messages, error: broker: {"status":"invalid_token"}
}
