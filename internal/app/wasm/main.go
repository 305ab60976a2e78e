//go:build js && wasm

// Command wasm is the web app's end-to-end encryption: package
// client/secure compiled to WebAssembly and driven from static/js/e2ee.js.
// It sets one global function, safeguardE2EE.open, which unlocks (or
// creates) this browser's device and returns a session whose methods
// answer with promises. The device's keys, sessions and history leave Go
// only sealed under the passphrase, as bytes handed to JavaScript to keep
// in IndexedDB. HTTP calls go through net/http, which uses the browser's
// fetch under js/wasm.
package main

import (
	"context"
	"errors"
	"syscall/js"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/secure"
)

func main() {
	api := js.Global().Get("Object").New()
	api.Set("open", js.FuncOf(open))
	ready := js.Global().Get("__safeguardE2EEReady")
	if ready.Type() != js.TypeFunction {
		js.Global().Get("console").Call("error", "safeguard e2ee: loaded without e2ee.js")
		return
	}
	ready.Invoke(api)
	select {} // the session's functions run for as long as the page lives
}

// promise runs f in its own goroutine (it may wait on fetch and on
// IndexedDB, which the event loop must be free to run) and settles a
// promise with its result.
func promise(f func(ctx context.Context) (any, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			defer executor.Release()
			v, err := f(context.Background())
			if err != nil {
				reject.Invoke(jsError(err))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}

// jsError turns an error into a JavaScript Error whose message is a
// sentence for the user; code is the API or package error code, and cause
// the whole chain for the console.
func jsError(err error) js.Value {
	msg, code := "Something went wrong with encryption. Please try again.", ""
	var se *safeguard.Error
	var ae *client.APIError
	switch {
	case errors.As(err, &ae):
		msg, code = ae.Message, ae.Code
	case errors.As(err, &se):
		msg, code = se.Message, se.Code
	}
	e := js.Global().Get("Error").New(msg)
	e.Set("code", code)
	e.Set("cause", err.Error())
	return e
}

// jsStore keeps the sealed state through the functions e2ee.js passed:
// load() → Promise<Uint8Array|null> and save(Uint8Array) → Promise.
type jsStore struct{ load, save js.Value }

func (s jsStore) Load() ([]byte, error) {
	v, err := await(s.load.Invoke())
	if err != nil || v.IsNull() || v.IsUndefined() {
		return nil, err
	}
	return bytesOf(v), nil
}

func (s jsStore) Save(sealed []byte) error {
	_, err := await(s.save.Invoke(uint8Array(sealed)))
	return err
}

// await waits for a JavaScript promise; it must not run on the event loop.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg(args)}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: errors.New("storage: " + js.Global().Get("String").Invoke(arg(args)).String())}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	js.Global().Get("Promise").Call("resolve", p).Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

func arg(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

func bytesOf(v js.Value) []byte {
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

func uint8Array(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// open is safeguardE2EE.open({base, token, passphrase, load, save}).
func open(_ js.Value, args []js.Value) any {
	o := arg(args)
	base, token, pass := o.Get("base").String(), o.Get("token").String(), []byte(o.Get("passphrase").String())
	store := jsStore{load: o.Get("load"), save: o.Get("save")}
	opts := secure.Options{Passphrase: pass, Store: store}
	return promise(func(ctx context.Context) (any, error) {
		if len(pass) == 0 {
			return nil, safeguard.Invalid("passphrase_required", "Enter your passphrase.")
		}
		api := client.New(base)
		api.Token = token
		s, err := secure.Open(ctx, api, opts)
		if err != nil {
			return nil, err
		}
		return newSession(s, api), nil
	})
}
