use std::process::ExitCode;

use frontdesk::config::{CommandLine, CommandLineError, Settings};
use frontdesk::{cli, logs};

/// Blocking work is SQLite reads (a pool of 8 connections) and argon2; more threads than this
/// only wait, and each one costs memory.
const MAX_BLOCKING_THREADS: usize = 16;

/// glibc's allocator, left alone, keeps freed memory: after the first 19 MiB argon2 buffer is
/// freed it raises its mmap threshold, so later buffers come from the heap and stay resident.
/// A fixed threshold sends big buffers back to the system at once; fixing it also pins the
/// trim threshold, which is raised so the heap is not trimmed (and refilled) constantly.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread
    // exists and takes no pointers.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 16 << 20);
    }
}

fn main() -> ExitCode {
    let command_line = match CommandLine::from_args(std::env::args_os()) {
        Ok(command_line) => command_line,
        Err(CommandLineError::Setting(error)) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
        Err(CommandLineError::Usage(error)) => error.exit(),
    };
    // Settings first: how logs are written is one of them.
    let settings = match Settings::resolve(&command_line) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    logs::init(settings.log_format);
    tune_allocator();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(command_line, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
