//! Compiles the Lua libraries Redis gives scripts (`csrc/redis-lua`: cjson, cmsgpack, bit,
//! struct) against the headers of the Lua 5.1 that `mlua` vendors, into a static library the
//! model's script engine opens.

fn main() {
    let include = std::env::var("DEP_LUA_INCLUDE")
        .expect("mlua-sys (vendored Lua 5.1) exports its include directory");
    let dir = std::path::Path::new("csrc/redis-lua");
    let files = [
        "lua_cjson.c",
        "strbuf.c",
        "fpconv.c",
        "lua_cmsgpack.c",
        "lua_bit.c",
        "lua_struct.c",
    ];
    let mut build = cc::Build::new();
    build.include(&include).include(dir).warnings(false);
    for file in files {
        build.file(dir.join(file));
        println!("cargo:rerun-if-changed={}", dir.join(file).display());
    }
    println!("cargo:rerun-if-changed=csrc/redis-lua/strbuf.h");
    println!("cargo:rerun-if-changed=csrc/redis-lua/fpconv.h");
    build.compile("redis_lua_libs");
}
