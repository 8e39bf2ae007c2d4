//! Compiles the Lua libraries Redis gives scripts (`csrc/redis-lua`: cjson, cmsgpack, bit,
//! struct) against the headers of the Lua 5.1 that `mlua` vendors, into a static library the
//! model's script engine opens; `csrc/redis-ld`, Redis's long double arithmetic;
//! and `csrc/redis-geo`, Redis's geohash code.

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

    // Redis's long double arithmetic and formatting (INCRBYFLOAT, HINCRBYFLOAT, GEOPOS): plain C,
    // no Lua headers.
    let ld = "csrc/redis-ld/redis_ld.c";
    cc::Build::new().file(ld).compile("redis_ld");
    println!("cargo:rerun-if-changed={ld}");

    // Redis's geohash code (`csrc/redis-geo`: geohash.c, geohash_helper.c as Redis ships them)
    // and the computing parts of its geo.c, for the GEO commands.
    let geo = std::path::Path::new("csrc/redis-geo");
    let mut build = cc::Build::new();
    build.include(geo).warnings(false);
    for file in ["geohash.c", "geohash_helper.c", "geo_glue.c"] {
        build.file(geo.join(file));
        println!("cargo:rerun-if-changed={}", geo.join(file).display());
    }
    for header in ["geohash.h", "geohash_helper.h"] {
        println!("cargo:rerun-if-changed={}", geo.join(header).display());
    }
    build.compile("redis_geo");
}
