import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM stop a run cleanly: the handler only writes the signal number to a pipe
/// (async-signal-safe; it runs on whichever thread the kernel picks, OpenBLAS's own workers
/// included, which exist before `main`), and a thread of our own reads it, removes the
/// registered temporaries, prints one line and exits 130 or 143 - well within the ~30 s Slurm
/// and Kubernetes give before SIGKILL. The shard in progress is simply not published; a rerun
/// redoes it. SIGXFSZ (a file-size limit) is ignored so that a write past the limit fails with
/// EFBIG and an error message instead of killing the process silently.
public enum StopSignals {
    nonisolated(unsafe) static var pipeWrite: Int32 = -1

    /// Call first thing in `main`.
    public static func install(program: String) {
        signal(SIGXFSZ, SIG_IGN)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        pipeWrite = fds[1]
        let readEnd = fds[0]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { sig in
            var b = UInt8(truncatingIfNeeded: sig)
            _ = Glibc.write(StopSignals.pipeWrite, &b, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        let waiter = Thread {
            var b: UInt8 = 0
            while Glibc.read(readEnd, &b, 1) != 1 {}
            let caught = Int32(b)
            Temporaries.removeAll()
            let name = caught == SIGINT ? "SIGINT" : "SIGTERM"
            let line = "\(program): stopped by \(name); its temporary files were removed\n"
            _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
            _exit(128 + caught)
        }
        waiter.name = "stop-signals"
        waiter.start()
    }
}
