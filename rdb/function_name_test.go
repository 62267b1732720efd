package rdb

import "testing"

func TestFunctionLibrary(t *testing.T) {
	for _, c := range []struct {
		f    Function
		want string
	}{
		{Function{Opcode: OpFunction2, Code: []byte("#!lua name=mylib\nredis.register_function('f', function() return 1 end)")}, "mylib"},
		{Function{Opcode: OpFunction2, Code: []byte("#!lua  name=spaced  \nreturn")}, "spaced"},
		{Function{Opcode: OpFunction2, Code: []byte("#!lua name=only-line")}, "only-line"},
		{Function{Opcode: OpFunction2, Code: []byte("#!lua\nname=not-on-the-first-line")}, ""},
		{Function{Opcode: OpFunction2, Code: []byte("return 1 -- name=no-shebang")}, ""},
		{Function{Opcode: OpFunctionPreGA, Name: []byte("rc"), Engine: []byte("LUA"), Code: []byte("return 1")}, "rc"},
		{Function{}, ""},
	} {
		if got := c.f.Library(); got != c.want {
			t.Errorf("%q: %q, want %q", c.f.Code, got, c.want)
		}
	}
}
