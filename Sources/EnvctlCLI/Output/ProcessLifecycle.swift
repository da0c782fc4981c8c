import EnvctlModel
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the executable sets up before running a command: the secrets it holds from the environment are
/// registered for redaction, and temporary paths and child processes are cleaned up however it exits.
///
/// On SIGINT, SIGTERM or SIGHUP a minimal async-signal-safe handler writes the signal number to a pipe; a
/// thread reading that pipe terminates the registered children (SIGTERM, then SIGKILL after two seconds),
/// removes the registered temporary paths and exits 128+signal; a command that fails meanwhile (its child was
/// terminated) waits for that in `atexit`. A normal exit removes the paths through `atexit`. Caught signals
/// are reset to their defaults in children by `exec`, so tools envctl runs still
/// stop on SIGINT and SIGTERM themselves.
enum ProcessLifecycle {
    nonisolated(unsafe) private static var installed = false

    static func install() {
        guard !installed else { return }
        installed = true
        Secrets.registerEnvironment()
        atexit {
            // Once a signal arrived, the signal thread decides the exit status: a command failing because its
            // child was just terminated must not exit first with that failure's status.
            if receivedSignal.load(ordering: .acquiring) != 0 {
                while true { sleep(1) }
            }
            Cleanup.removeAll()
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        signalPipe = fds[1]
        // A parent may start envctl with these signals blocked (threads of a test runner do); unblock them.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signo in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&unblock, signo) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            _ = signal(signo) { signo in
                receivedSignal.store(signo, ordering: .releasing)
                var byte = UInt8(truncatingIfNeeded: signo)
                _ = write(signalPipe, &byte, 1)
            }
        }
        let reader = fds[0]
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while read(reader, &byte, 1) != 1 {}
            Cleanup.terminateChildren(SIGTERM)
            Cleanup.removeAll()
            _exit(128 + Int32(byte))
        }
    }
}

/// The first signal received (0: none); stored by the signal handler (a lock-free atomic store).
private let receivedSignal = Atomic<Int32>(0)

/// The write end of the signal pipe; read by the signal handler, set once before any handler is installed.
nonisolated(unsafe) private var signalPipe: Int32 = -1
