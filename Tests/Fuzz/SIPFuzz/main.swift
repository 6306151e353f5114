import Foundation

// The fuzz driver. Built with `-DSIPTRUNK_FUZZ -sanitize=fuzzer,address` (see Tests/Fuzz/run.sh) it hands control
// to libFuzzer. Built normally it replays the files given as arguments, so a crash file found by the fuzzer can
// be reproduced in a debugger: `swift run SIPFuzz crash-...`.
#if SIPTRUNK_FUZZ
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    FuzzTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
exit(status)
#else
for path in CommandLine.arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
        exit(2)
    }
    FuzzTarget.run(Array(data))
    print("ok \(path)")
}
#endif
