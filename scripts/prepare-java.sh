#!/usr/bin/env bash
# The Java client programs of the SDK matrix (issue 11): Maven downloads the artifacts pinned in
# test/programs/java/pom.xml into ~/.m2 (kept across runs) and packages the programs with their dependencies into
# test/programs/java/target/kluis-clients.jar (gitignored), so test/clients-java.test.ts only runs `java -cp`.
# Skipped when the jar is newer than the pom and every source.
# (No `mvn dependency:go-offline`: it also resolves netty's native-transport jars for every platform, which the
# pom excludes and the registry does not hold; `package` downloads exactly what the build uses.)
set -euo pipefail
cd "$(dirname "$0")/../test/programs/java"
for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "prepare-java: '$tool' is not on PATH; the Java client tests (test/clients-java.test.ts) need a JDK >= 17 and Maven (Debian: openjdk-17-jdk-headless maven)." >&2
    exit 1
  fi
done
jar=target/kluis-clients.jar
if [ -f "$jar" ] && [ -z "$(find pom.xml src -newer "$jar" -print -quit)" ]; then
  exit 0
fi
mvn -q -B -Dstyle.color=never package -DskipTests
