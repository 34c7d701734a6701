// OwnContainer on /proc text captured from containers of a real dockerd 20.10 on a cgroup v1
// host (tests/data/docker/proc/), and the cgroup v2 forms Docker writes; then ServiceBuilder
// skipping the agent's own container unless it carries SERVICE_NAME or SERVICE_<port>_NAME.

#include "docker/OwnContainer.h"
#include "service/ServiceBuilder.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

namespace {

QByteArray fixture(const QString &path)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/%1").arg(path));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(f.fileName()));
    return f.readAll();
}

const QString kMountInfoId =
    QStringLiteral("7e5bf195ebb42b0af8f4e2926c5e79069b42a3937aacc2cd1a26d5bfa16d27df");
const QString kCgroupId =
    QStringLiteral("1817053342f90255d3f427704315cdd6d1d6afda26a16628b9c62d7a6a1aa4a9");
// bridge_single.json: `run -P example/redis`, 6379/tcp published.
const QString kRedisId =
    QStringLiteral("5b821d2809ba2595979de8c35887ab5164f059e4dcf579d1552622803d5991c4");

} // namespace

class tst_OwnContainer : public QObject {
    Q_OBJECT
private slots:
    void fromMountInfo_data();
    void fromMountInfo();
    void fromCgroup_data();
    void fromCgroup();
    void skipsItself_data();
    void skipsItself();
};

void tst_OwnContainer::fromMountInfo_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("id");
    const QString id = QStringLiteral("0123456789abcdef").repeated(4);

    QTest::newRow("captured in a container (data root /tmp/..., cgroup v1)")
        << fixture(QStringLiteral("proc/mountinfo_container.txt")) << kMountInfoId;
    QTest::newRow("captured on the host: overlay and netns mounts are no container's /etc")
        << fixture(QStringLiteral("proc/mountinfo_host.txt")) << QString();
    QTest::newRow("default data root, cgroup v2 host")
        << QByteArray("1060 1046 8:1 /var/lib/docker/containers/" + id.toLatin1() +
                      "/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n")
        << id;
    QTest::newRow("data root on its own file system: the root is relative to it")
        << QByteArray("900 880 8:17 /docker/containers/" + id.toLatin1() +
                      "/resolv.conf /etc/resolv.conf rw - xfs /dev/sdb1 rw\n")
        << id;
    QTest::newRow("the host's shm mount of a container is a mount point, not a root")
        << QByteArray("300 27 0:60 / /var/lib/docker/containers/" + id.toLatin1() +
                      "/mounts/shm rw - tmpfs shm rw\n")
        << QString();
    QTest::newRow("a container's file bind-mounted elsewhere")
        << QByteArray("61 27 8:1 /var/lib/docker/containers/" + id.toLatin1() +
                      "/hostname /srv/hostname rw - ext4 /dev/sda1 rw\n")
        << QString();
    QTest::newRow("short id is not an id")
        << QByteArray("95 77 254:0 /var/lib/docker/containers/0123456789ab/hostname /etc/hostname "
                      "rw - ext4 /dev/vda rw\n")
        << QString();
    QTest::newRow("empty") << QByteArray() << QString();
    QTest::newRow("truncated lines") << QByteArray("95 77\n\n1 2 3 4\n") << QString();
}

void tst_OwnContainer::fromMountInfo()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, id);
    QCOMPARE(OwnContainer::idFromMountInfo(text), id);
}

void tst_OwnContainer::fromCgroup_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("id");
    const QByteArray id = QStringLiteral("fedcba9876543210").repeated(4).toLatin1();

    QTest::newRow("captured: cgroup v1, cgroupfs driver")
        << fixture(QStringLiteral("proc/cgroup_v1_container.txt")) << kCgroupId;
    QTest::newRow("captured: --cgroupns=private shows only /")
        << fixture(QStringLiteral("proc/cgroup_private_ns.txt")) << QString();
    QTest::newRow("captured: on the host")
        << fixture(QStringLiteral("proc/cgroup_v1_host.txt")) << QString();
    QTest::newRow("v2, systemd driver, host cgroupns")
        << QByteArray("0::/system.slice/docker-" + id + ".scope\n") << QString::fromLatin1(id);
    QTest::newRow("v2, cgroupfs driver, host cgroupns")
        << QByteArray("0::/docker/" + id + "\n") << QString::fromLatin1(id);
    QTest::newRow("v1, systemd driver")
        << QByteArray("12:pids:/system.slice/docker-" + id + ".scope\n11:cpuset:/\n")
        << QString::fromLatin1(id);
    QTest::newRow("Docker in Docker: the innermost container")
        << QByteArray("4:memory:/docker/" + QByteArray(64, 'a') + "/docker/" + id + "\n")
        << QString::fromLatin1(id);
    QTest::newRow("a systemd service on the host")
        << QByteArray("0::/system.slice/portolan.service\n") << QString();
    QTest::newRow("docker.service itself")
        << QByteArray("0::/system.slice/docker.service\n") << QString();
    QTest::newRow("id followed by more hex is no id")
        << QByteArray("0::/docker/" + id + "ff\n") << QString();
}

void tst_OwnContainer::fromCgroup()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, id);
    QCOMPARE(OwnContainer::idFromCgroup(text), id);
}

void tst_OwnContainer::skipsItself_data()
{
    QTest::addColumn<QString>("ownId");
    QTest::addColumn<QJsonObject>("labels");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("expectedName"); // empty: no service
    QTest::addColumn<QString>("note");         // must occur in some note

    const QString own = QStringLiteral("the agent's own container");
    QTest::newRow("another container is registered")
        << kMountInfoId << QJsonObject() << QStringList() << QStringLiteral("redis") << QString();
    QTest::newRow("not in a container: registered")
        << QString() << QJsonObject() << QStringList() << QStringLiteral("redis") << QString();
    QTest::newRow("own container skipped")
        << kRedisId << QJsonObject() << QStringList() << QString()
        << QStringLiteral("ignored: 5b821d2809ba service on port 6379: ") + own;
    QTest::newRow("own container with SERVICE_NAME label")
        << kRedisId << QJsonObject{{QStringLiteral("SERVICE_NAME"), QStringLiteral("portolan")}}
        << QStringList() << QStringLiteral("portolan") << QString();
    QTest::newRow("own container with SERVICE_6379_NAME env")
        << kRedisId << QJsonObject() << QStringList{QStringLiteral("SERVICE_6379_NAME=feed")}
        << QStringLiteral("feed") << QString();
    QTest::newRow("another port's name does not ask for this one")
        << kRedisId << QJsonObject() << QStringList{QStringLiteral("SERVICE_8080_NAME=feed")}
        << QString() << own;
    QTest::newRow("SERVICE_TAGS alone does not ask")
        << kRedisId << QJsonObject{{QStringLiteral("SERVICE_TAGS"), QStringLiteral("a")}}
        << QStringList() << QString() << own;
}

void tst_OwnContainer::skipsItself()
{
    QFETCH(QString, ownId);
    QFETCH(QJsonObject, labels);
    QFETCH(QStringList, env);
    QFETCH(QString, expectedName);
    QFETCH(QString, note);

    QJsonObject inspect =
        QJsonDocument::fromJson(fixture(QStringLiteral("inspect/bridge_single.json"))).object();
    QCOMPARE(inspect.value(QStringLiteral("Id")).toString(), kRedisId);
    QJsonObject config = inspect.value(QStringLiteral("Config")).toObject();
    config.insert(QStringLiteral("Labels"), labels);
    config.insert(QStringLiteral("Env"), QJsonArray::fromStringList(env));
    inspect.insert(QStringLiteral("Config"), config);

    ServiceOptions options;
    options.hostname = QStringLiteral("core-01");
    options.hostIp = QStringLiteral("127.0.0.1");
    options.ownContainerId = ownId;
    const ServiceBuildResult result = ServiceBuilder(options).build(inspect);
    if (expectedName.isEmpty()) {
        QVERIFY(result.services.isEmpty());
    } else {
        QCOMPARE(result.services.size(), 1);
        QCOMPARE(result.services.first().name, expectedName);
    }
    if (!note.isEmpty()) {
        QVERIFY2(std::any_of(result.notes.begin(), result.notes.end(),
                             [&](const QString &n) { return n.contains(note); }),
                 qPrintable(result.notes.join(QLatin1String(" | "))));
    }
}

QTEST_GUILESS_MAIN(tst_OwnContainer)
#include "tst_owncontainer.moc"
