package main

import (
	"reflect"
	"testing"
)

func TestParseLiteral(t *testing.T) {
	src := `!function(){}({1:[function(e,a,n){a.exports={name:"x",n:[.5,-.25,3e-2,-0,12],t:!0,f:!1,z:null,"q":"a\"b",o:{}}},{}]})`
	lit, err := exportedLiteral(src)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := parseLiteral(lit)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "x", "n": []any{0.5, -0.25, 0.03, 0.0, 12.0}, "t": true, "f": false, "z": nil, "q": `a"b`, "o": map[string]any{}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("got %#v\nwant %#v", v, want)
	}
	for _, bad := range []string{`{a:}`, `{a:1`, `[1,,]`, `"open`, `!2`, `{:1}`} {
		if _, _, err := parseLiteral(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func FuzzParseLiteral(f *testing.F) {
	for _, s := range []string{`{a:[1,.5,!0],b:"c"}`, `[{x:null}]`, `"\u0041"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = parseLiteral(s)
	})
}
