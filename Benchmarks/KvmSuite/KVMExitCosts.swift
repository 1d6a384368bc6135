public enum KVMExitCosts {
    /// IA32_MISC_ENABLE (0x1A0): KVM intercepts it on Intel and AMD and
    /// emulates it in common code (kvm_get_msr_common / kvm_set_msr_common);
    /// writing back the value read changes nothing.
    public static let emulatedMSR: UInt32 = 0x1A0
}
