//! `mediaops-emulator [--port N]`: serves the emulator on 127.0.0.1 until interrupted.
//! The port comes from `--port`, else `MEDIAOPS_EMULATOR_PORT`, else 4566; 0 picks a free one.
//! The first line on stdout is the base URL, so scripts can read it.

use std::io::Write;

fn port_from(args: &[String]) -> Result<u16, String> {
    let mut value = std::env::var("MEDIAOPS_EMULATOR_PORT").ok();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => value = Some(it.next().ok_or("--port needs a value")?.clone()),
            s if s.starts_with("--port=") => value = Some(s["--port=".len()..].to_string()),
            "-h" | "--help" => {
                return Err("usage: mediaops-emulator [--port N]  (env MEDIAOPS_EMULATOR_PORT; 0 = any free port)".into())
            }
            other => return Err(format!("unknown argument {other:?}; usage: mediaops-emulator [--port N]")),
        }
    }
    match value {
        None => Ok(4566),
        Some(v) => v
            .parse()
            .map_err(|_| format!("port {v:?} is not a number from 0 to 65535")),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = match port_from(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let emulator = match mediaops_emulator::Emulator::start(port).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", emulator.url());
    let _ = std::io::stdout().flush();
    eprintln!("mediaops-emulator serving Elastic Transcoder, MediaStore, MediaPackage and S3 Control at {}", emulator.url());
    let _ = tokio::signal::ctrl_c().await;
}
