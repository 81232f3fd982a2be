// The local file system of dltflow's own JVM sessions (compiled at session start by
// dltflow.local.engines.local_files, with the Janino compiler Spark ships).
//
// Without Hadoop's native library, RawLocalFileSystem sets the mode of every folder and
// file it creates by starting a `chmod` process: about nine per table written, a few
// milliseconds each. This one sets the same mode through java.nio instead; everything
// else is Hadoop's own LocalFileSystem (checksums included).
package dltflow.hadoop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

public class NioLocalFileSystem extends LocalFileSystem {
  public NioLocalFileSystem() {
    super(new Raw());
  }

  public static class Raw extends RawLocalFileSystem {
    // PosixFilePermission's constants run from OWNER_READ (mode bit 8) to OTHERS_EXECUTE (bit 0).
    private static final PosixFilePermission[] BITS = PosixFilePermission.values();

    public void setPermission(Path path, FsPermission permission) throws IOException {
      int mode = permission.toShort();
      if ((mode & ~0777) != 0) {  // a sticky bit: only chmod sets that
        super.setPermission(path, permission);
        return;
      }
      Set perms = EnumSet.noneOf(PosixFilePermission.class);
      for (int i = 0; i < BITS.length; i++) {
        if ((mode & (1 << (8 - i))) != 0) {
          perms.add(BITS[i]);
        }
      }
      Files.setPosixFilePermissions(pathToFile(path).toPath(), perms);
    }
  }
}
