"""Local files written without a ``chmod`` process each, in dltflow's own JVM sessions.

Hadoop's local file system sets the mode of every folder and file it creates. Without
Hadoop's native library (the pyspark wheel has none) it does that by starting a ``chmod``
process: about nine per table written (the table's folder, the commit protocol's four
temporary folders, the data file, ``_SUCCESS`` and their checksums), each a few
milliseconds of a two-core machine. ``java/NioLocalFileSystem.java`` sets the same modes
through ``java.nio``; it is compiled in the session's JVM by Janino (the compiler Spark
uses for generated code, so always on its class path) and made the class Hadoop builds
for ``file:`` paths. The files, their modes and their checksums are what they were.

Only sessions :func:`~dltflow.local.engines.session.get_spark` starts get it; a session
the user brings is left as it is. If anything here fails (another Hadoop, a JVM without
POSIX file attributes) the session keeps Hadoop's own class and works as before.
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

SOURCE = "java/NioLocalFileSystem.java"
CLASS_NAME = "dltflow.hadoop.NioLocalFileSystem"


def use_nio_local_files(spark: SparkSession) -> bool:
    """Make ``spark``'s JVM build :data:`CLASS_NAME` for ``file:`` paths; True if it does.

    Nothing changes where Hadoop's native library is loaded (its ``chmod`` is a system
    call already) or where ``fs.file.impl`` names a class of the user's.
    """
    jvm: Any = spark._jvm  # a classic session: get_spark starts no other kind here
    try:
        hadoop_fs = jvm.org.apache.hadoop.fs.FileSystem
        hadoop_conf = spark._jsc.hadoopConfiguration()
        if jvm.org.apache.hadoop.io.nativeio.NativeIO.isAvailable() or \
                hadoop_conf.getTrimmed("fs.file.impl"):
            return False
        file_system = _compiled(jvm).loadClass(CLASS_NAME)
        hadoop_fs.getFileSystemClass("file", None)  # Hadoop fills its table of classes first
        table = jvm.java.lang.Class.forName("org.apache.hadoop.fs.FileSystem") \
            .getDeclaredField("SERVICE_FILE_SYSTEMS")
        table.setAccessible(True)
        table.get(None).put("file", file_system)
        # Instances built before are cached per scheme: the next use builds the new class.
        hadoop_fs.closeAll()
    except Exception as err:  # noqa: BLE001 - any failure leaves Hadoop's own class
        log.debug("local files keep Hadoop's own file system: %s", err)
        return False
    return True


def _compiled(jvm: Any) -> Any:
    """The class loader of :data:`SOURCE`, compiled against the session's class path."""
    compiler = jvm.org.codehaus.janino.SimpleCompiler()
    compiler.setParentClassLoader(jvm.java.lang.Thread.currentThread().getContextClassLoader())
    compiler.cook(resources.files(__package__).joinpath(SOURCE).read_text(encoding="utf-8"))
    return compiler.getClassLoader()
