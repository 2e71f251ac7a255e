#include "lock/names.h"

#include <gtest/gtest.h>

#include "supervise/error.h"
#include "supervise/lock.h"

namespace supervise {
namespace {

TEST(EncodePoolName, KeepsPlainNamesReadable) {
    EXPECT_EQ(lock::encode_pool_name("build"), "build");
    EXPECT_EQ(lock::encode_pool_name("gpu-0.x_y"), "gpu-0.x_y");
}

TEST(EncodePoolName, NoNameEscapesTheStateDirectory) {
    EXPECT_EQ(lock::encode_pool_name(".."), "%2E.");
    EXPECT_EQ(lock::encode_pool_name("../../etc"), "%2E.%2F..%2Fetc");  // one component
    EXPECT_EQ(lock::encode_pool_name("make:/home/me"), "make%3A%2Fhome%2Fme");
    for (const char* name : {".", "..", "a/b", "/", ".hidden"})
        EXPECT_EQ(lock::encode_pool_name(name).find('/'), std::string::npos) << name;
    EXPECT_NE(lock::encode_pool_name(".hidden")[0], '.');
}

TEST(EncodePoolName, LongNamesBecomeHashes) {
    std::string name(255, '/');
    auto encoded = lock::encode_pool_name(name);
    EXPECT_LE(encoded.size(), 200u);
    EXPECT_EQ(encoded.rfind("h-", 0), 0u);
    EXPECT_NE(encoded, lock::encode_pool_name(std::string(254, '/')));
}

TEST(SlotCgroupPrefix, NamesPoolAndSlot) {
    auto prefix = lock::slot_cgroup_prefix("build", 2);
    EXPECT_EQ(prefix.rfind("lock-", 0), 0u);
    EXPECT_NE(prefix.find("-s2-"), std::string::npos);
    EXPECT_NE(prefix, lock::slot_cgroup_prefix("build", 3));
    EXPECT_NE(prefix, lock::slot_cgroup_prefix("build2", 2));
}

TEST(ValidateLockName, RefusesEmptyLongAndNonUtf8) {
    EXPECT_THROW(validate_lock_name(""), UsageError);
    EXPECT_THROW(validate_lock_name(std::string(256, 'a')), UsageError);
    EXPECT_NO_THROW(validate_lock_name(std::string(255, 'a')));
    EXPECT_THROW(validate_lock_name("bad\xff"), UsageError);
    EXPECT_THROW(validate_lock_name("\xc0\xaf"), UsageError);      // overlong '/'
    EXPECT_THROW(validate_lock_name("\xed\xa0\x80"), UsageError);  // surrogate
    EXPECT_NO_THROW(validate_lock_name("bäckerei-🍞"));
    EXPECT_THROW(validate_lock_name("two\nlines"), UsageError);
}

TEST(ExpandLockName, ProjectIsTheGitTopLevelOrTheDirectory) {
    EXPECT_EQ(expand_lock_name("build", "/anything"), "build");
    EXPECT_EQ(expand_lock_name("@project", "/nonexistent/dir"), "project:/nonexistent/dir");
}

}  // namespace
}  // namespace supervise
