// The little XML reader of the S3 backend on answers as S3 writes them.
#include "results/s3_xml.hpp"

#include <gtest/gtest.h>

namespace cicd::results {
namespace {

TEST(S3Xml, AnErrorGivesItsCodeAndMessage) {
  auto xml = parse_s3_xml(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchBucket</Code><Message>The specified bucket &amp; key do not exist</Message>
<BucketName>b</BucketName></Error>)",
                          {"Code", "Message"});
  EXPECT_TRUE(xml.well_formed);
  EXPECT_EQ(xml.root, "Error");
  EXPECT_EQ(xml.first("Code"), "NoSuchBucket");
  EXPECT_EQ(xml.first("Message"), "The specified bucket & key do not exist");
  EXPECT_EQ(xml.first("BucketName"), "") << "only what was asked for is collected";
}

TEST(S3Xml, AListingGivesEveryKeyInOrderAndTheToken) {
  auto xml = parse_s3_xml(
      R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
<Prefix>p/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>
<Contents><Key>p/runs/1/console.log</Key><Size>3</Size></Contents>
<Contents><Key>p/runs/1/results/é ü</Key><Size>4</Size></Contents>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)",
      {"Key", "IsTruncated", "NextContinuationToken"});
  EXPECT_TRUE(xml.well_formed);
  EXPECT_EQ(xml.root, "ListBucketResult");
  EXPECT_EQ(xml.texts["Key"],
            (std::vector<std::string>{"p/runs/1/console.log", "p/runs/1/results/é ü"}));
  EXPECT_EQ(xml.first("IsTruncated"), "true");
  EXPECT_EQ(xml.first("NextContinuationToken"), "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3Xml, ABrokenAnswerIsNotWellFormed) {
  EXPECT_FALSE(parse_s3_xml("<Error><Code>Slow", {"Code"}).well_formed);
  EXPECT_FALSE(parse_s3_xml("", {"Code"}).well_formed);
  EXPECT_FALSE(parse_s3_xml("not xml at all", {}).well_formed);
}

} // namespace
} // namespace cicd::results
