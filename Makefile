# Thin wrapper: the work is in tools/*.sh and CMakeLists.txt.
#   make demo   install what the demo needs, build, run examples/quickstart.lua on the sandbox
#   make test   install what the suite needs too, build, run it; ends with "N passed, N failed"
#   make bench  the benchmarks and the race of bench/README.md (rewrites its results table)
LUA ?= lua5.4
LUA_ENV = LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/$(LUA)/?.so;;"

.PHONY: all deps deps-demo build test demo docs bench lint clean

all: build

# every package (tools/deps.sh test); deps-demo: those of build and demo only
deps:
	@tools/deps.sh test

deps-demo:
	@tools/deps.sh demo

build: deps-demo
	@tools/build.sh $(LUA) >/dev/null

test: deps
	@tools/test.sh

demo: build
	@$(LUA_ENV) $(LUA) bin/unipile-sandbox run -- $(LUA) examples/quickstart.lua

docs: deps
	@rm -rf build/docs-src build/docs && mkdir -p build/docs-src
	@$(LUA_ENV) $(LUA) tools/gen_docs.lua build/docs-src
	@# under 5.1: lua-any would pick 5.2, and Debian builds lua-markdown for 5.1 only
	@lua5.1 /usr/bin/ldoc -q . && echo "docs: build/docs/index.html"

bench: deps
	@bench/run.sh

lint: deps
	luacheck lua spec examples bin bin/unipile-sandbox tools bench fuzz # a directory only yields its *.lua

clean:
	rm -rf build build.luarocks
