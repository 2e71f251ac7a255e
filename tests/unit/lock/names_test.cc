#include "lock/names.h"

#include <gtest/gtest.h>

#include "supervise/error.h"
#include "supervise/lock.h"

namespace supervise {
namespace {

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
