//! Compiles the protocol definitions in `proto/` into Rust with protox (a pure
//! Rust protobuf compiler, so no system `protoc` is needed) and tonic.

use std::error::Error;

const PROTOS: [&str; 2] = ["proto/tfplugin6.proto", "proto/plugin.proto"];

fn main() -> Result<(), Box<dyn Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    let fds = protox::compile(PROTOS, ["proto"])?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}
