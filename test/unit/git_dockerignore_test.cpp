#include "git/dockerignore.hpp"

#include <gtest/gtest.h>

namespace cicd::git {
namespace {

TEST(DockerIgnore, NamesAndGlobsLeaveOutFilesAndWholeDirectories) {
  auto ignore = DockerIgnore::parse("# build output\n"
                                    "build/\n"
                                    "  *.md  \n"
                                    "/tmp\n"
                                    "./notes//draft.txt\n"
                                    "secret?.txt\n"
                                    "[ab].log\n");
  EXPECT_TRUE(ignore.excludes("build"));
  EXPECT_TRUE(ignore.excludes("build/app/main.o")); // what a left-out directory holds
  EXPECT_TRUE(ignore.excludes("CHANGES.md"));
  EXPECT_FALSE(ignore.excludes("docs/CHANGES.md")); // '*' stays within a segment
  EXPECT_TRUE(ignore.excludes("tmp/x"));
  EXPECT_TRUE(ignore.excludes("notes/draft.txt"));
  EXPECT_TRUE(ignore.excludes("secret1.txt"));
  EXPECT_FALSE(ignore.excludes("secret12.txt"));
  EXPECT_TRUE(ignore.excludes("a.log"));
  EXPECT_FALSE(ignore.excludes("c.log"));
  EXPECT_FALSE(ignore.excludes("src/main.c"));
  EXPECT_FALSE(ignore.excludes("buildx"));
  EXPECT_FALSE(ignore.has_exceptions());
}

TEST(DockerIgnore, DoubleStarCrossesDirectoriesAndTheLastMatchingLineDecides) {
  auto ignore = DockerIgnore::parse("**/*.log\n"
                                    "docs\n"
                                    "!docs/keep.txt\n"
                                    "!important.log\n");
  EXPECT_TRUE(ignore.excludes("app.log"));
  EXPECT_TRUE(ignore.excludes("a/b/c/app.log"));
  EXPECT_FALSE(ignore.excludes("important.log"));
  EXPECT_TRUE(ignore.excludes("docs/guide.txt"));
  EXPECT_FALSE(ignore.excludes("docs/keep.txt"));
  EXPECT_TRUE(ignore.has_exceptions());
}

TEST(DockerIgnore, EmptyTextAndBrokenLinesLeaveOutNothing) {
  EXPECT_TRUE(DockerIgnore::parse("").empty());
  EXPECT_TRUE(DockerIgnore::parse("\n# only a comment\n   \n").empty());
  auto broken = DockerIgnore::parse("[unclosed\nkept.txt\n");
  EXPECT_FALSE(broken.excludes("[unclosed"));
  EXPECT_TRUE(broken.excludes("kept.txt"));
}

} // namespace
} // namespace cicd::git
