// ServiceBuilder against inspect JSON captured from a real dockerd (tests/data/docker/inspect/),
// each case patching a few fields of one fixture. Expected services are written as
// "<id> <name> <address> [<tags>] {<attributes>}".

#include "service/ServiceBuilder.h"
#include "service/TagTemplate.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

namespace {

QJsonObject loadFixture(const QString &name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/inspect/%1.json").arg(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(f.fileName()));
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Sets (or with value "DELETE" removes) the member at a ':'-separated path; value is JSON text.
QJsonObject patched(QJsonObject o, const QStringList &path, const QJsonValue &value)
{
    if (path.size() == 1) {
        if (value.isUndefined())
            o.remove(path.first());
        else
            o.insert(path.first(), value);
        return o;
    }
    o.insert(path.first(),
             patched(o.value(path.first()).toObject(), path.mid(1), value)); // makes objects
    return o;
}

QJsonObject applyPatches(QJsonObject o, const QStringList &patches)
{
    for (const QString &p : patches) {
        const int eq = p.indexOf(QLatin1Char('='));
        const QString json = p.mid(eq + 1);
        QJsonValue v(QJsonValue::Undefined);
        if (json != QLatin1String("DELETE")) {
            const QJsonDocument d = QJsonDocument::fromJson("[" + json.toUtf8() + "]");
            if (!d.isArray())
                qFatal("bad patch JSON %s", qPrintable(p));
            v = d.array().first();
        }
        o = patched(o, p.left(eq).split(QLatin1Char(':')), v);
    }
    return o;
}

ServiceOptions parseFlags(const QString &flags)
{
    ServiceOptions o;
    o.hostname = QStringLiteral("vm");
    o.resolvedHostIp = QStringLiteral("192.0.2.10");
    for (const QString &f : flags.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const QString value = f.section(QLatin1Char('='), 1);
        if (f == QLatin1String("internal"))
            o.internal = true;
        else if (f == QLatin1String("explicit"))
            o.explicitOnly = true;
        else if (f.startsWith(QLatin1String("ip=")))
            o.hostIp = value;
        else if (f.startsWith(QLatin1String("label=")))
            o.useIpFromLabel = value;
        else if (f.startsWith(QLatin1String("resolved=")))
            o.resolvedHostIp = value;
        else if (f.startsWith(QLatin1String("hostname=")))
            o.hostname = value;
        else
            qFatal("unknown flag %s", qPrintable(f));
    }
    return o;
}

QString describe(const ServiceDefinition &s)
{
    QStringList attrs;
    for (auto it = s.attributes.begin(); it != s.attributes.end(); ++it)
        attrs << it.key() + QLatin1Char('=') + it.value();
    return QStringLiteral("%1 %2 %3 [%4] {%5}")
        .arg(s.id, s.name, s.address(), s.tags.join(QLatin1Char(',')),
             attrs.join(QLatin1Char(',')));
}

} // namespace

class tst_ServiceBuilder : public QObject {
    Q_OBJECT
private slots:
    void build_data();
    void build();
    void hostileStrings_data();
    void hostileStrings();
    void hostileInspect_data();
    void hostileInspect();
    void wronglyTypedJsonNeverCrashes_data();
    void wronglyTypedJsonNeverCrashes();
    void secretsStayOut();
    void fieldsOfDefinition();
    void defaultServiceName_data();
    void defaultServiceName();
};

void tst_ServiceBuilder::build_data()
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

void tst_ServiceBuilder::build()
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

void tst_ServiceBuilder::hostileStrings_data()
{
    QTest::addColumn<QJsonObject>("labels");
    QTest::addColumn<QString>("hostname");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<QString>("note");

    const QString huge(300, QLatin1Char('n'));
    const QString bigValue(5000, QLatin1Char('v'));
    const QString ok = QStringLiteral("vm:redis.1:6379 redis 192.0.2.10:32776");
    auto labels = [](const char *key, const QString &value) {
        return QJsonObject{{QLatin1String(key), value}};
    };
    QTest::newRow("name with /") << labels("SERVICE_NAME", "a/b") << "vm" << QStringList()
                                 << "ignored: 5b821d2809ba service name \"a/b\" contains '/'";
    QTest::newRow("name with newline")
        << labels("SERVICE_NAME", "a\nb") << "vm" << QStringList()
        << "ignored: 5b821d2809ba service name \"a\\x0ab\" contains control characters";
    QTest::newRow("name .. ") << labels("SERVICE_NAME", "..") << "vm" << QStringList()
                              << "is a path step";
    QTest::newRow("huge name") << labels("SERVICE_NAME", huge) << "vm" << QStringList()
                               << "is 300 bytes long (limit 255)";
    QTest::newRow("lone surrogate in name") << labels("SERVICE_NAME", QString(QChar(0xD800)) + "x")
                                            << "vm" << QStringList() << "is not valid UTF-8";
    QTest::newRow("id with /") << labels("SERVICE_ID", "../etc") << "vm" << QStringList()
                               << "service id \"../etc\" contains '/'";
    QTest::newRow("hostname with /") << QJsonObject() << "a/b" << QStringList()
                                     << "service id \"a/b:redis.1:6379\" contains '/'";
    QTest::newRow("huge attribute dropped")
        << labels("SERVICE_BLOB", bigValue) << "vm" << QStringList{ok + " [] {}"}
        << "attributes: 5b821d2809ba SERVICE_\"BLOB\" dropped: it is 5000 bytes long (limit 4096)";
    QTest::newRow("attribute with newline kept")
        << labels("SERVICE_NOTE", "a\nb") << "vm" << QStringList{ok + " [] {note=a\nb}"}
        << QString();
    QTest::newRow("attribute key with control char dropped")
        << labels("SERVICE_A\tB", "x") << "vm" << QStringList{ok + " [] {}"}
        << "contains control characters";
    QTest::newRow("tag with newline dropped")
        << labels("SERVICE_TAGS", "good,ba\nd") << "vm" << QStringList{ok + " [good] {}"}
        << "tag \"ba\\x0ad\" dropped: it contains control characters";
    QTest::newRow("too many tags")
        << labels("SERVICE_TAGS", QStringLiteral("t,").repeated(150)) << "vm"
        << QStringList{ok + " [" + QStringLiteral("t,").repeated(100).chopped(1) + "] {}"}
        << "tags: 5b821d2809ba 50 tags dropped; the first, tag \"t\": it is beyond the limit of "
           "100 tags";
    // One SERVICE_TAGS of 1 MiB: half a million tags, one note.
    QTest::newRow("1 MiB of tags")
        << labels("SERVICE_TAGS", QStringLiteral("t,").repeated(512 * 1024)) << "vm"
        << QStringList{ok + " [" + QStringLiteral("t,").repeated(100).chopped(1) + "] {}"}
        << "tags: 5b821d2809ba 524188 tags dropped";
    QTest::newRow("1 MiB attribute")
        << labels("SERVICE_BLOB", QString(1024 * 1024, QLatin1Char('v'))) << "vm"
        << QStringList{ok + " [] {}"} << "is 1048576 bytes long (limit 4096)";
    QJsonObject many;
    for (int i = 0; i < 500; ++i)
        many.insert(QStringLiteral("SERVICE_A%1").arg(i, 3, 10, QLatin1Char('0')), "x");
    many.insert(QStringLiteral("unrelated.label"), "y");
    QStringList first64;
    for (int i = 0; i < 64; ++i)
        first64 << QStringLiteral("a%1=x").arg(i, 3, 10, QLatin1Char('0'));
    QTest::newRow("500 labels: 64 attributes")
        << many << "vm" << QStringList{ok + " [] {" + first64.join(',') + "}"}
        << "attributes: 5b821d2809ba 436 attributes dropped; the first, SERVICE_\"A064\": it is "
           "over the limit of 64 attributes";
    QJsonObject big;
    for (int i = 0; i < 5; ++i)
        big.insert(QStringLiteral("SERVICE_B%1").arg(i), QString(4000, QLatin1Char('b')));
    QStringList first4;
    for (int i = 0; i < 4; ++i)
        first4 << QStringLiteral("b%1=").arg(i) + QString(4000, QLatin1Char('b'));
    QTest::newRow("record budget")
        << big << "vm" << QStringList{ok + " [] {" + first4.join(',') + "}"}
        << "SERVICE_\"B4\" dropped: it exceeds the 16384-byte budget of one service record";
    // Newlines are escaped as six bytes in the JSON record, and count so.
    QJsonObject newlines;
    for (int i = 0; i < 2; ++i)
        newlines.insert(QStringLiteral("SERVICE_N%1").arg(i), QString(2000, QLatin1Char('\n')));
    QTest::newRow("escaped size counts")
        << newlines << "vm" << QStringList{ok + " [] {n0=" + QString(2000, QLatin1Char('\n')) + "}"}
        << "exceeds the 16384-byte budget";
    QTest::newRow("unicode name kept")
        << labels("SERVICE_NAME", QStringLiteral("r\u00e9dis-\u6771\u4eac-\U0001F600")) << "vm"
        << QStringList{QStringLiteral("vm:redis.1:6379 r\u00e9dis-\u6771\u4eac-\U0001F600 "
                                      "192.0.2.10:32776 [] {}")}
        << QString();
    QTest::newRow("name with space kept")
        << labels("SERVICE_NAME", "my service") << "vm"
        << QStringList{"vm:redis.1:6379 my service 192.0.2.10:32776 [] {}"} << QString();

    // Format (Cf) and line/paragraph separator (Zl, Zp) characters are refused in names, ids
    // and tags like control characters, and escaped in notes: shown, "rtl\u202Eexe.txt" reads
    // as "rtltxt.exe". Attribute values keep them, as they keep control characters.
    const QList<char32_t> invisible{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068,
                                    0x2069, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x2064,
                                    0xFEFF, 0x00AD, 0x061C, 0x2028, 0x2029, 0xE0001};
    for (const char32_t c : invisible) {
        // Not QString::fromUcs4: it takes a leading U+FEFF for a byte-order mark and drops it.
        QString ch{QChar{char16_t(c)}};
        if (QChar::requiresSurrogates(c))
            ch = QString(QChar(QChar::highSurrogate(c))) + QChar(QChar::lowSurrogate(c));
        const QString hex = QString::number(uint(c), 16).toUpper().rightJustified(4, u'0');
        const QString esc = c > 0xffff
                                ? "\\U" + QString::number(uint(c), 16).rightJustified(8, u'0')
                                : "\\u" + QString::number(uint(c), 16).rightJustified(4, u'0');
        const QString problem = "contains the invisible character U+" + hex;
        const QByteArray tag = hex.toLatin1();
        QTest::addRow("name with U+%s", tag.constData())
            << labels("SERVICE_NAME", "rtl" + ch + "exe.txt") << "vm" << QStringList()
            << "ignored: 5b821d2809ba service name \"rtl" + esc + "exe.txt\" " + problem;
        QTest::addRow("id with U+%s", tag.constData())
            << labels("SERVICE_ID", "id" + ch) << "vm" << QStringList()
            << "ignored: 5b821d2809ba service id \"id" + esc + "\" " + problem;
        QTest::addRow("tag with U+%s", tag.constData())
            << labels("SERVICE_TAGS", "good,a" + ch + "b") << "vm" << QStringList{ok + " [good] {}"}
            << "tag \"a" + esc + "b\" dropped: it " + problem;
        QTest::addRow("attribute key with U+%s", tag.constData())
            << QJsonObject{{"SERVICE_K" + ch, "x"}} << "vm" << QStringList{ok + " [] {}"}
            << "dropped: it " + problem;
        QTest::addRow("hostname with U+%s", tag.constData())
            << QJsonObject() << "vm" + ch << QStringList() << "service id \"vm" + esc;
        QTest::addRow("attribute value with U+%s kept", tag.constData())
            << labels("SERVICE_NOTE", "a" + ch + "b") << "vm"
            << QStringList{ok + " [] {note=a" + ch + "b}"} << QString();
    }
    // Visible characters outside ASCII, and marks that combine visibly, stay allowed.
    QTest::newRow("combining accent kept")
        << labels("SERVICE_NAME", QStringLiteral("cafe\u0301")) << "vm"
        << QStringList{QStringLiteral("vm:redis.1:6379 cafe\u0301 192.0.2.10:32776 [] {}")}
        << QString();
}

void tst_ServiceBuilder::hostileStrings()
{
    QFETCH(QJsonObject, labels);
    QFETCH(QString, hostname);
    QFETCH(QStringList, expected);
    QFETCH(QString, note);

    ServiceOptions options = parseFlags(QString());
    options.hostname = hostname;
    QJsonObject inspect = loadFixture(QStringLiteral("bridge_single"));
    inspect = patched(inspect, {QStringLiteral("Config"), QStringLiteral("Labels")}, labels);
    const ServiceBuildResult r = ServiceBuilder(options).build(inspect);
    QStringList got;
    for (const ServiceDefinition &s : r.services)
        got << describe(s);
    QCOMPARE(got, expected);
    if (!note.isEmpty())
        QVERIFY2(r.notes.join(QLatin1Char('\n')).contains(note), qPrintable(r.notes.join('\n')));
}

void tst_ServiceBuilder::hostileInspect_data()
{
    QTest::addColumn<QStringList>("patches");
    QTest::addColumn<int>("services");
    QTest::addColumn<QString>("note");

    QTest::newRow("port key with newline")
        << QStringList{R"(NetworkSettings:Ports={"6379/tcp\nx":[{"HostPort":"1"}]})",
                       "Config:ExposedPorts=null"}
        << 0 << R"(ignored: 5b821d2809ba port "6379/tcp\x0ax" dropped: it has an unknown protocol)";
    QTest::newRow("port key with /")
        << QStringList{R"(NetworkSettings:Ports={"a/b/tcp":[{"HostPort":"1"}]})",
                       "Config:ExposedPorts=null"}
        << 0 << "has an unknown protocol";
    QTest::newRow("huge port key")
        << QStringList{QStringLiteral(R"(NetworkSettings:Ports={"%1/tcp":[{"HostPort":"1"}]})")
                           .arg(QString(100, QLatin1Char('9'))),
                       "Config:ExposedPorts=null"}
        << 0 << "is 100 bytes long (limit 32)";
    QTest::newRow("container name too long")
        << QStringList{QStringLiteral(R"(Name="/%1")").arg(QString(1100, QLatin1Char('n')))} << 0
        << "container name \"nnnn";
    QTest::newRow("image with control character")
        << QStringList{R"(Config:Image="a\u0007b")"} << 0 << R"(image "a\x07b" contains control)";
    QTest::newRow("id with newline")
        << QStringList{R"(Id="5b821d2809ba\nfake log line")"} << 0
        << R"(ignored: 5b821d2809ba container id "5b821d2809ba\x0afake log line")";
    QTest::newRow("ip label too long") << QStringList{QStringLiteral(R"(Config:Labels={"ip":"%1"})")
                                                          .arg(QString(300, QLatin1Char('1')))}
                                       << -1 << "has no usable IP address";
    QJsonObject ports;
    for (int i = 1; i <= 200; ++i)
        ports.insert(QStringLiteral("%1/tcp").arg(i), QJsonValue::Null);
    ports.insert(QStringLiteral("6379/tcp"),
                 QJsonArray{QJsonObject{{"HostIp", ""}, {"HostPort", "32776"}}});
    QTest::newRow("200 unpublished ports: notes bounded")
        << QStringList{"NetworkSettings:Ports=" +
                       QString::fromUtf8(
                           QJsonDocument(QJsonArray{ports}).toJson(QJsonDocument::Compact))
                           .mid(1)
                           .chopped(1)}
        << 1 << "notes: 5b821d2809ba 169 more notes about this container not shown";
}

void tst_ServiceBuilder::hostileInspect()
{
    QFETCH(QStringList, patches);
    QFETCH(int, services);
    QFETCH(QString, note);
    const QJsonObject inspect = applyPatches(loadFixture(QStringLiteral("bridge_single")), patches);
    ServiceOptions options = parseFlags(QString());
    if (services < 0) { // the -useIpFromLabel case
        options.useIpFromLabel = QStringLiteral("ip");
        services = 0;
    }
    const ServiceBuildResult r = ServiceBuilder(options).build(inspect);
    QCOMPARE(r.services.size(), services);
    QVERIFY(r.notes.size() <= ServiceBuilder::kMaxNotes);
    QVERIFY2(r.notes.join(QLatin1Char('\n')).contains(note), qPrintable(r.notes.join('\n')));
}

void tst_ServiceBuilder::wronglyTypedJsonNeverCrashes_data()
{
    QTest::addColumn<QStringList>("patches");
    QTest::addColumn<int>("services");

    QTest::newRow("empty object") << QStringList{"Id=DELETE", "Config=DELETE", "HostConfig=DELETE",
                                                 "NetworkSettings=DELETE", "Name=DELETE"}
                                  << 0;
    QTest::newRow("Config is a string") << QStringList{R"(Config="x")"} << 0; // name "." skipped
    QTest::newRow("Env is a number") << QStringList{"Config:Env=5"} << 1;
    QTest::newRow("Env entries are objects") << QStringList{R"(Config:Env=[{"a":1},null,7])"} << 1;
    QTest::newRow("Labels is a list") << QStringList{R"(Config:Labels=["SERVICE_NAME=x"])"} << 1;
    QTest::newRow("label value is a number")
        << QStringList{R"(Config:Labels={"SERVICE_NAME":3})"} << 1;
    QTest::newRow("Ports is a list (pending)") << QStringList{"NetworkSettings:Ports=[1,2]"} << 0;
    QTest::newRow("binding is a string")
        << QStringList{R"(NetworkSettings:Ports:6379/tcp="0.0.0.0:1")"} << 0;
    QTest::newRow("HostPort is a number")
        << QStringList{R"(NetworkSettings:Ports:6379/tcp=[{"HostIp":"","HostPort":32776}])"} << 0;
    QTest::newRow("HostPort out of range")
        << QStringList{R"(NetworkSettings:Ports:6379/tcp=[{"HostIp":"","HostPort":"99999"}])"} << 0;
    QTest::newRow("port key not a number")
        << QStringList{R"(NetworkSettings:Ports={"abc/tcp":[{"HostPort":"1"}]})",
                       "Config:ExposedPorts=null"}
        << 1; // registered at host port 1: the exposed side is only a name here
    QTest::newRow("Networks is a string")
        << QStringList{"NetworkSettings:Networks=\"x\"", "HostConfig:NetworkMode=\"mynet\""} << 0;
    QTest::newRow("NetworkMode container: without id")
        << QStringList{R"(HostConfig:NetworkMode="container:")"} << 0;
    QTest::newRow("State is null") << QStringList{"State=null"} << 1;
}

void tst_ServiceBuilder::wronglyTypedJsonNeverCrashes()
{
    QFETCH(QStringList, patches);
    QFETCH(int, services);
    const QJsonObject inspect = applyPatches(loadFixture(QStringLiteral("bridge_single")), patches);
    ServiceBuilder builder(parseFlags(QString()));
    ServiceBuildResult r = builder.build(inspect);
    if (!r.networkContainerId.isEmpty() || patches.first().contains("container:"))
        r = builder.build(inspect, QJsonObject{{"Id", "x"}});
    QCOMPARE(r.services.size(), services);
    // Every service that comes out is usable as a key.
    for (const ServiceDefinition &s : r.services) {
        QVERIFY(!s.name.isEmpty() && !s.name.contains('/'));
        QVERIFY(!s.ip.isEmpty());
        QVERIFY(s.port > 0 && s.port < 65536);
    }
}

void tst_ServiceBuilder::secretsStayOut()
{
    QJsonObject inspect = applyPatches(
        loadFixture(QStringLiteral("service_env_labels")),
        {R"(Config:Env=["DB_PASSWORD=hunter2","SERVICE_NAME=x","service_lower=hunter2"])"});
    QString error;
    const ServiceBuildResult r = ServiceBuilder(parseFlags(QString())).build(inspect);
    QCOMPARE(r.services.size(), 1);
    const QString all = describe(r.services.first()) + r.notes.join(QLatin1Char(' '));
    QVERIFY2(!all.contains(QLatin1String("hunter2")), qPrintable(all));
}

void tst_ServiceBuilder::fieldsOfDefinition()
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

void tst_ServiceBuilder::defaultServiceName_data()
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

void tst_ServiceBuilder::defaultServiceName()
{
    QFETCH(QString, image);
    QFETCH(QString, name);
    QCOMPARE(ServiceBuilder::defaultServiceName(image), name);
}

QTEST_GUILESS_MAIN(tst_ServiceBuilder)
#include "tst_servicebuilder.moc"
