import Testing
import TrestleGit

@Suite("libgit2 linkage")
struct GitLibraryTests {
    @Test("libgit2 is linked and reports a 1.x version")
    func linkedVersion() {
        let parts = GitLibrary.version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3)
        #expect(parts.first == 1)
    }
}
