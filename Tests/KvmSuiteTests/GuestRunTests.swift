import BenchCore
import CKVM
import Foundation
@testable import KvmSuite
import XCTest

/// Real guests on this host's /dev/kvm: counts and structure, never durations.
final class GuestRunTests: XCTestCase {
    /// The system, or a skip when this host has no usable /dev/kvm.
    func system() throws -> KVMSystem {
        do { return try KVMSystem() } catch { throw XCTSkip("no usable /dev/kvm: \(error)") }
    }

    /// Exits are counted by something other than the guest's own loop: the
    /// host's count of KVM_RUN returns (port write) and KVM's `exits`
    /// statistic (kernel-handled kinds) where the platform counts them.
    /// The guest's count is checked only as the program's own bookkeeping.
    func testEveryExitKindMakesTheExitsAskedByIndependentCounts() throws {
        let sys = try system()
        let k = 4, samples = 5, n = 3 * k * samples
        let hardware = KVMPlatform.detect(host: .host()).hardwareFigures
        for program in [GuestProgram.cpuid, .rdmsr, .wrmsr, .outb] {
            let guest = try KVMGuest(system: sys)
            let run = guest.run(program, k: k, samples: samples, msr: KVMExitCosts.emulatedMSR,
                                limitNanoseconds: 2_000_000_000)
            XCTAssertNil(run.failure, "\(program)")
            XCTAssertEqual(run.guestExits, UInt64(n), "\(program): the guest program's own bookkeeping")
            if hardware, !program.exitsToUserSpace, let exits = run.statsDelta["exits"] {
                XCTAssertGreaterThanOrEqual(exits, UInt64(n), "\(program): KVM's own count")
            }
            XCTAssertEqual(run.shortRegions.count, samples)
            XCTAssertEqual(run.longRegions.count, samples)
            XCTAssertEqual(run.perExit.count, samples)
            if program.exitsToUserSpace {
                XCTAssertEqual(run.userExits, n)
                XCTAssertEqual(run.hostRunTicks.count, n - 1)
            } else {
                XCTAssertEqual(run.userExits, 0)
            }
        }
    }
}

/// The guest's IDT and XSAVE set-up, on this host's /dev/kvm.
final class GuestSetupTests: XCTestCase {
    func system() throws -> KVMSystem {
        do { return try KVMSystem() } catch { throw XCTSkip("no usable /dev/kvm: \(error)") }
    }

    /// KVM_GET_XSAVE2 on a new vCPU writes sizeof(struct kvm_xsave): the
    /// call the migration and buffer rows are built on.
    func testGetXSave2WritesTheDefaultImage() throws {
        let vm = try system().createVM(memoryBytes: 4096)
        XCTAssertEqual(try vm.createVCPU().xsaveBytesWritten(), 4096)
    }

    /// A guest exception is named by its stub, not a triple fault.
    func testAGuestExceptionIsNamed() throws {
        let guest = try KVMGuest(system: try system())
        let run = guest.run(.undefinedOpcode, k: 1, samples: 0, limitNanoseconds: 2_000_000_000)
        let failure = try XCTUnwrap(run.failure)
        XCTAssertTrue(failure.hasPrefix("guest exception #UD (vector 6)"), failure)
    }

    /// The guest enables XSAVE itself (CR4.OSXSAVE, XSETBV), as a guest OS
    /// and the KVM selftests' amx_test do; an invalid XCR0 (SSE without
    /// x87) is refused with #GP, which the stub names.
    func testTheGuestEnablesXSAVEAndAnInvalidXCR0IsRefused() throws {
        let sys = try system()
        let supported = try sys.supportedCPUID()
        guard let l1 = supported.first(where: { $0.function == 1 }), l1.ecx & (1 << 26) != 0 else {
            throw XCTSkip("KVM offers no XSAVE to guests here")
        }
        let guest = try KVMGuest(system: sys, xcr0: 0x3)
        XCTAssertEqual(try guest.vcpu.specialRegisters().cr4 & KVMGuest.cr4OSXSAVE, KVMGuest.cr4OSXSAVE)
        XCTAssertNil(guest.run(.cpuid, k: 1, samples: 2, limitNanoseconds: 2_000_000_000).failure)
        XCTAssertThrowsError(try KVMGuest(system: sys, xcr0: 0x2)) { error in
            XCTAssertTrue("\(error)".contains("#GP"), "\(error)")
        }
    }
}

final class WatchdogTests: XCTestCase {
    func testAGuestThatNeverExitsIsStoppedByTheWatchdog() throws {
        let sys: KVMSystem
        do { sys = try KVMSystem() } catch { throw XCTSkip("no usable /dev/kvm: \(error)") }
        let guest = try KVMGuest(system: sys)
        let limit: UInt64 = 50_000_000
        let start = DispatchTime.now().uptimeNanoseconds
        let run = guest.run(.spin, k: 1, samples: 1, limitNanoseconds: limit)
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        let failure = try XCTUnwrap(run.failure)
        XCTAssertTrue(failure.hasPrefix("watchdog"), failure)
        XCTAssertTrue(run.shortRegions.isEmpty)
        // Not a timing assertion: a generous bound that only a watchdog
        // which never fired (a hang until the test runner's own limit) breaks.
        XCTAssertLessThan(elapsed, 60 * 1_000_000_000)
        // The same vCPU still runs a program to completion afterwards.
        let again = guest.run(.outb, k: 1, samples: 2, limitNanoseconds: 2_000_000_000)
        XCTAssertNil(again.failure)
        XCTAssertEqual(again.userExits, 6)
    }
}
