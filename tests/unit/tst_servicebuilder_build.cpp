// ServiceBuilder on inspect JSON captured from a real dockerd, each case patching a few fields of
// one fixture: ports and addresses, flags, metadata, tags, pending host ports, container:<id>
// networks and images; the fields of a definition and the default service name.

#include "ServiceBuilderTestSupport.h"
#include "service/TagTemplate.h"

#include <QTest>
#include <algorithm>

class tst_ServiceBuilderBuild : public QObject {
    Q_OBJECT
private slots:
    void build_data();
    void build();
    void fieldsOfDefinition();
    void defaultServiceName_data();
    void defaultServiceName();
};

void tst_ServiceBuilderBuild::build_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QStringList>("patches");
    QTest::addColumn<QString>("flags");
    QTest::addColumn<QString>("tagTemplate");
    QTest::addColumn<QString>("networkContainer"); // fixture name or ""
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<QStringList>("notes"); // each must occur in some note
    QTest::addColumn<bool>("pending");
    QTest::addColumn<QString>("networkContainerId");

    const QStringList none;
    const QString cnetTarget =
        QStringLiteral("b7acbac9dac9da79d976494bc3dfd2abd3fd040a8f2d565016aab1e63ce30b1f");
    auto row = [&](const char *tag, const QString &fixture, const QStringList &patches,
                   const QString &flags, const QStringList &expected,
                   const QStringList &notes = {}) {
        QTest::newRow(tag) << fixture << patches << flags << QString() << QString() << expected
                           << notes << false << QString();
    };

    // Ports and addresses
    row("bridge: IPv4 binding, 0.0.0.0 -> resolved host ip", "bridge_single", none, "",
        {"vm:redis.1:6379 redis 192.0.2.10:32776 [] {}"});
    row("bridge: no resolved host ip keeps 0.0.0.0", "bridge_single", none,
        "resolved=", {"vm:redis.1:6379 redis 0.0.0.0:32776 [] {}"});
    row("both v4 and v6 bindings, :: listed first: IPv4 still wins", "bridge_single",
        {R"(NetworkSettings:Ports:6379/tcp=[{"HostIp":"::","HostPort":"32775"},)"
         R"({"HostIp":"0.0.0.0","HostPort":"32776"}])"},
        "", {"vm:redis.1:6379 redis 192.0.2.10:32776 [] {}"});
    row("only an IPv6 binding: address bracketed", "bridge_single",
        {R"(NetworkSettings:Ports:6379/tcp=[{"HostIp":"2001:db8::5","HostPort":"32775"}])"}, "",
        {"vm:redis.1:6379 redis [2001:db8::5]:32775 [] {}"});
    row("only a :: binding is a wildcard like 0.0.0.0", "bridge_single",
        {R"(NetworkSettings:Ports:6379/tcp=[{"HostIp":"::","HostPort":"32775"}])"},
        "resolved=", {"vm:redis.1:6379 redis [::]:32775 [] {}"});
    row("empty HostIp is 0.0.0.0", "bridge_single",
        {R"(NetworkSettings:Ports:6379/tcp=[{"HostIp":"","HostPort":"40000"}])"}, "",
        {"vm:redis.1:6379 redis 192.0.2.10:40000 [] {}"});
    row("loopback binding kept", "loopback_binding", none, "",
        {"vm:loopback.1:6379 redis 127.0.0.1:32775 [] {}"});
    row("multi port: group names get -<port>, sorted by port", "multi_port", none, "",
        {"vm:web.1:80 web-80 192.0.2.10:32770 [] {}",
         "vm:web.1:443 web-443 192.0.2.10:32769 [] {}"});
    row("udp: id suffix and udp tag", "udp", none, "",
        {"vm:dns.1:53:udp dns 192.0.2.10:32768 [udp] {}"});
    row("--net=host: exposed port is the host port", "host_net", none, "",
        {"vm:hostnet.1:6379 redis 192.0.2.10:6379 [] {}"});
    row("user network: HostIP becomes the network's IPAddress", "user_net", none, "",
        {"vm:usernet.1:6379 redis 172.18.0.2:32771 [] {}"});
    row("user network given by id prefix", "user_net",
        {R"(HostConfig:NetworkMode="0123456789abcdef")",
         R"(NetworkSettings:Networks:portolan-net:NetworkID="0123456789abcdef0000")"},
        "", {"vm:usernet.1:6379 redis 172.18.0.2:32771 [] {}"});
    row("unpublished exposed port", "exposed_unpublished", none, "", {},
        {"ignored: 8fac766e7e96 port 6379 not published on host"});
    row("no ports", "no_ports", none, "", {}, {"ignored: 47b3ccc503ba no published ports"});
    row("no ports, stopped", "no_ports_stopped", none, "", {},
        {"ignored: 47b3ccc503ba no published ports"});
    row("created, never started: not pending, not published", "created_not_started", none, "", {},
        {"ignored: c4b773e4a896 port 6379 not published on host"});
    row("empty hostname: id starts with the binding ip", "bridge_single", none,
        "hostname=", {"0.0.0.0:redis.1:6379 redis 192.0.2.10:32776 [] {}"});

    // Flags
    row("-ip forces the address", "bridge_single", none, "ip=198.51.100.7",
        {"vm:redis.1:6379 redis 198.51.100.7:32776 [] {}"});
    row("-internal: container ip and exposed port", "bridge_single", none, "internal",
        {"vm:redis.1:6379 redis 172.17.0.2:6379 [] {}"});
    row("-internal registers unpublished ports", "exposed_unpublished", none, "internal",
        {"vm:unpub.1:6379 redis 172.17.0.8:6379 [] {}"});
    row("-internal on a user network: Networks ip", "user_net", none, "internal",
        {"vm:usernet.1:6379 redis 172.18.0.2:6379 [] {}"});
    row("-internal ignores -ip", "bridge_single", none, "internal ip=198.51.100.7",
        {"vm:redis.1:6379 redis 172.17.0.2:6379 [] {}"});
    row("-explicit without a name skips", "bridge_single", none, "explicit", {},
        {"ignored: 5b821d2809ba service on port 6379: -explicit and no SERVICE_NAME"});
    row("-explicit with SERVICE_NAME registers", "bridge_single",
        {R"(Config:Env=["SERVICE_NAME=cache"])"}, "explicit",
        {"vm:redis.1:6379 cache 192.0.2.10:32776 [] {}"});
    row("-explicit with a port-specific name", "multi_port",
        {R"(Config:Env=["SERVICE_443_NAME=tls"])"}, "explicit",
        {"vm:web.1:443 tls 192.0.2.10:32769 [] {}"},
        {"ignored: 5eaa780070ed service on port 80: -explicit"});
    row("-useIpFromLabel strips /cidr", "bridge_single",
        {R"(Config:Labels:overlay.ip="10.1.2.3/24")"}, "label=overlay.ip",
        {"vm:redis.1:6379 redis 10.1.2.3:32776 [] {}"});
    row("-useIpFromLabel without /", "bridge_single", {R"(Config:Labels:overlay.ip="10.1.2.4")"},
        "label=overlay.ip", {"vm:redis.1:6379 redis 10.1.2.4:32776 [] {}"});
    row("-useIpFromLabel: missing label keeps the ip", "bridge_single", none, "label=overlay.ip",
        {"vm:redis.1:6379 redis 192.0.2.10:32776 [] {}"},
        {"Label 'overlay.ip' not found in container 5b821d2809ba"});
    row("-useIpFromLabel reads labels, not env", "bridge_single",
        {R"(Config:Env=["overlay.ip=10.9.9.9"])"}, "label=overlay.ip",
        {"vm:redis.1:6379 redis 192.0.2.10:32776 [] {}"});

    // Metadata
    row("captured env and labels: port name beats SERVICE_NAME", "service_env_labels", none, "",
        {"vm:svc.1:6379 redis-main 192.0.2.10:32774 [primary,fast] {check_tcp=true}"});
    row("label beats env", "bridge_single",
        {R"(Config:Env=["SERVICE_NAME=fromenv","SERVICE_X=1"])",
         R"(Config:Labels={"SERVICE_NAME":"fromlabel","SERVICE_X":"2"})"},
        "", {"vm:redis.1:6379 fromlabel 192.0.2.10:32776 [] {x=2}"});
    row("port label beats port env", "bridge_single",
        {R"(Config:Env=["SERVICE_6379_NAME=fromenv"])",
         R"(Config:Labels={"SERVICE_6379_NAME":"fromlabel"})"},
        "", {"vm:redis.1:6379 fromlabel 192.0.2.10:32776 [] {}"});
    row("port env beats generic label", "bridge_single",
        {R"(Config:Env=["SERVICE_6379_NAME=port"])", R"(Config:Labels={"SERVICE_NAME":"generic"})"},
        "", {"vm:redis.1:6379 port 192.0.2.10:32776 [] {}"});
    row("later env entry wins", "bridge_single",
        {R"(Config:Env=["SERVICE_NAME=first","SERVICE_NAME=second"])"}, "",
        {"vm:redis.1:6379 second 192.0.2.10:32776 [] {}"});
    row("another port's keys are ignored", "bridge_single",
        {R"(Config:Env=["SERVICE_80_NAME=web","SERVICE_80_CHECK=x","SERVICE_6379_CHECK=y"])"}, "",
        {"vm:redis.1:6379 redis 192.0.2.10:32776 [] {check=y}"});
    row("keys lower-cased, empty SERVICE_NAME falls back", "bridge_single",
        {R"(Config:Env=["SERVICE_NAME=","SERVICE_Check_HTTP=/health","SERVICE_NOVALUE"])"}, "",
        {"vm:redis.1:6379 redis 192.0.2.10:32776 [] {check_http=/health}"});
    row("group: port-specific name has no suffix", "multi_port",
        {R"(Config:Env=["SERVICE_80_NAME=http","SERVICE_NAME=site"])"}, "",
        {"vm:web.1:80 http 192.0.2.10:32770 [] {}",
         "vm:web.1:443 site-443 192.0.2.10:32769 [] {}"});
    row("SERVICE_ID overrides the id", "bridge_single", {R"(Config:Env=["SERVICE_ID=cache-1"])"},
        "", {"cache-1 redis 192.0.2.10:32776 [] {}"});
    row("SERVICE_ID overrides the udp id too", "udp", {R"(Config:Labels={"SERVICE_ID":"dns-a"})"},
        "", {"dns-a dns 192.0.2.10:32768 [udp] {}"});
    row("SERVICE_IGNORE skips", "bridge_single", {R"(Config:Labels={"SERVICE_IGNORE":"true"})"}, "",
        {}, {"ignored: 5b821d2809ba service on port 6379: SERVICE_IGNORE is set"});
    row("empty SERVICE_IGNORE does not skip", "bridge_single",
        {R"(Config:Env=["SERVICE_IGNORE="])"}, "",
        {"vm:redis.1:6379 redis 192.0.2.10:32776 [] {ignore=}"});
    row("port-specific ignore keeps the group name of the rest", "multi_port",
        {R"(Config:Env=["SERVICE_443_IGNORE=1"])"}, "",
        {"vm:web.1:80 web-80 192.0.2.10:32770 [] {}"});

    // Tags
    row("SERVICE_TAGS keep their written order", "bridge_single",
        {R"(Config:Env=["SERVICE_TAGS=c,a,b"])"}, "",
        {"vm:redis.1:6379 redis 192.0.2.10:32776 [c,a,b] {}"});
    row("escaped comma", "bridge_single", {R"(Config:Env=["SERVICE_TAGS=a\\,b,,c,"])"}, "",
        {"vm:redis.1:6379 redis 192.0.2.10:32776 [a,b,c] {}"});
    {
        QTest::newRow("SERVICE_TAGS, then -tags, then udp")
            << "udp" << QStringList{R"(Config:Env=["SERVICE_TAGS=b,a"])"} << ""
            << "t1,t2"
            << "" << QStringList{"vm:dns.1:53:udp dns 192.0.2.10:32768 [b,a,t1,t2,udp] {}"} << none
            << false << QString();
        QTest::newRow("-tags template reads inspect fields")
            << "bridge_single" << QStringList{R"(Config:Labels={"team":"Infra"})"} << ""
            << "{{ strSlice .ID 0 4 }},{{ mIndex \"team\" .Config.Labels | toLower }}"
            << "" << QStringList{"vm:redis.1:6379 redis 192.0.2.10:32776 [5b82,infra] {}"} << none
            << false << QString();
        QTest::newRow("-tags execution error: note, other tags kept")
            << "bridge_single" << QStringList{R"(Config:Env=["SERVICE_TAGS=own"])"} << ""
            << "x,{{ .Config.Hostname }}{{ splitIndex 0 \"\" .Config.Domainname }}"
            << "" << QStringList{"vm:redis.1:6379 redis 192.0.2.10:32776 [own] {}"}
            << QStringList{"tags: 5b821d2809ba -tags gave no tags: template: splitIndex: index 0 "
                           "out of range for an empty list"}
            << false << QString();
    }

    // Pending host ports (registrator #716)
    auto pendingRow = [&](const char *tag, const QString &fixture, const QStringList &patches,
                          const QString &flags, const QStringList &notes) {
        QTest::newRow(tag) << fixture << patches << flags << QString() << QString() << QStringList()
                           << notes << true << QString();
    };
    pendingRow("pending: PublishAllPorts, Ports key null", "bridge_single",
               {"NetworkSettings:Ports:6379/tcp=null"}, "",
               {"pending: 5b821d2809ba port 6379/tcp is published but has no host port yet"});
    pendingRow("pending: PublishAllPorts, Ports empty", "multi_port", {"NetworkSettings:Ports={}"},
               "", {"port 80/tcp is published", "port 443/tcp is published"});
    pendingRow("pending: PortBindings, empty HostPort", "loopback_binding",
               {R"(NetworkSettings:Ports:6379/tcp=[{"HostIp":"127.0.0.1","HostPort":""}])"}, "",
               {"port 6379/tcp is published"});
    pendingRow("pending: PortBindings has the port, Ports lacks the key", "exposed_unpublished",
               {R"(HostConfig:PortBindings={"6379/tcp":[{"HostIp":"","HostPort":""}]})",
                "NetworkSettings:Ports={}"},
               "", {"port 6379/tcp"});
    row("not pending: PortBindings with an empty list", "exposed_unpublished",
        {R"(HostConfig:PortBindings={"6379/tcp":[]})"}, "", {}, {"not published on host"});
    row("not pending: exposed, neither bound nor published", "exposed_unpublished", none, "", {},
        {"not published on host"});
    row("not pending with -internal", "bridge_single", {"NetworkSettings:Ports:6379/tcp=null"},
        "internal", {"vm:redis.1:6379 redis 172.17.0.2:6379 [] {}"});
    row("not pending on --net=host with stale PortBindings", "host_net",
        {R"(HostConfig:PortBindings={"6379/tcp":[{"HostIp":"","HostPort":"7000"}]})"}, "",
        {"vm:hostnet.1:6379 redis 192.0.2.10:6379 [] {}"});
    row("not pending when stopped", "bridge_single",
        {"NetworkSettings:Ports:6379/tcp=null", "State:Running=false"}, "", {},
        {"port 6379 not published on host"});

    // container:<id> network mode
    QTest::newRow("container network: asks for the target")
        << "container_net" << none << ""
        << ""
        << "" << QStringList() << none << false << cnetTarget;
    QTest::newRow("container network: target's ip, exposed port")
        << "container_net" << none << ""
        << ""
        << "container_net_target" << QStringList{"vm:cnet.1:6379 redis 172.17.0.5:6379 [] {}"}
        << none << false << QString();
    QTest::newRow("container network: target on a user network")
        << "container_net" << none << ""
        << ""
        << "user_net" << QStringList{"vm:cnet.1:6379 redis 172.18.0.2:6379 [] {}"} << none << false
        << QString();
    QTest::newRow("container network beats -useIpFromLabel")
        << "container_net" << QStringList{R"(Config:Labels={"ip":"10.0.0.1"})"} << "label=ip"
        << ""
        << "container_net_target" << QStringList{"vm:cnet.1:6379 redis 172.17.0.5:6379 [] {}"}
        << none << false << QString();
    QTest::newRow("container network, nothing exposed: no target needed")
        << "container_net" << QStringList{"Config:ExposedPorts=null"} << ""
        << ""
        << "" << QStringList() << QStringList{"no published ports"} << false << QString();

    // Images
    row("digest image", "bridge_single",
        {R"(Config:Image="registry:5000/team/redis@sha256:0123abcd")"}, "",
        {"vm:redis.1:6379 redis 192.0.2.10:32776 [] {}"});
    row("registry with port and tag", "bridge_single", {R"(Config:Image="registry:5000/img:1.2")"},
        "", {"vm:redis.1:6379 img 192.0.2.10:32776 [] {}"});
}

void tst_ServiceBuilderBuild::build()
{
    QFETCH(QString, fixture);
    QFETCH(QStringList, patches);
    QFETCH(QString, flags);
    QFETCH(QString, tagTemplate);
    QFETCH(QString, networkContainer);
    QFETCH(QStringList, expected);
    QFETCH(QStringList, notes);
    QFETCH(bool, pending);
    QFETCH(QString, networkContainerId);

    ServiceOptions options = parseFlags(flags);
    QString error;
    const TagTemplate tags = TagTemplate::compile(tagTemplate, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    if (!tagTemplate.isEmpty())
        options.tags = &tags;
    const ServiceBuilder builder(options);
    const ServiceBuildResult r =
        builder.build(applyPatches(loadFixture(fixture), patches),
                      networkContainer.isEmpty() ? QJsonObject() : loadFixture(networkContainer));

    QStringList got;
    for (const ServiceDefinition &s : r.services)
        got << describe(s);
    if (got != expected)
        qWarning() << "notes:" << r.notes;
    QCOMPARE(got, expected);
    for (const QString &n : notes) {
        const bool found = std::any_of(r.notes.begin(), r.notes.end(),
                                       [&](const QString &x) { return x.contains(n); });
        QVERIFY2(found, qPrintable(QStringLiteral("no note contains \"%1\"; notes: %2")
                                       .arg(n, r.notes.join(QStringLiteral(" | ")))));
    }
    QCOMPARE(r.portsPending, pending);
    QCOMPARE(r.networkContainerId, networkContainerId);
}

void tst_ServiceBuilderBuild::fieldsOfDefinition()
{
    const ServiceBuildResult r =
        ServiceBuilder(parseFlags(QString())).build(loadFixture(QStringLiteral("udp")));
    QCOMPARE(r.services.size(), 1);
    const ServiceDefinition &s = r.services.first();
    QCOMPARE(s.protocol, QStringLiteral("udp"));
    QCOMPARE(s.exposedPort, QStringLiteral("53"));
    QCOMPARE(s.port, 32768);
    QCOMPARE(s.hostname, QStringLiteral("vm"));
    QCOMPARE(s.containerName, QStringLiteral("dns.1"));
    QVERIFY(s.containerId.startsWith(QLatin1String("7abb243c5986")));
    QCOMPARE(s.image, QStringLiteral("example/dns"));
}

void tst_ServiceBuilderBuild::defaultServiceName_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<QString>("name");
    QTest::newRow("plain") << "redis"
                           << "redis";
    QTest::newRow("tag") << "redis:7"
                         << "redis";
    QTest::newRow("repo") << "library/redis:7"
                          << "redis";
    QTest::newRow("registry port") << "registry:5000/img:tag"
                                   << "img";
    QTest::newRow("registry port no tag") << "registry:5000/img"
                                          << "img";
    QTest::newRow("digest") << "repo/img@sha256:0123"
                            << "img";
    QTest::newRow("tag and digest") << "r:5000/a/img:1@sha256:0123"
                                    << "img";
    QTest::newRow("image id") << "sha256:0123abcd"
                              << "sha256";
    QTest::newRow("empty") << ""
                           << ".";
}

void tst_ServiceBuilderBuild::defaultServiceName()
{
    QFETCH(QString, image);
    QFETCH(QString, name);
    QCOMPARE(ServiceBuilder::defaultServiceName(image), name);
}

QTEST_GUILESS_MAIN(tst_ServiceBuilderBuild)
#include "tst_servicebuilder_build.moc"
