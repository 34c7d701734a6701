// ServiceBuilder on hostile inspect JSON: names, ids, tags and attributes that are too long,
// carry control or invisible characters or path steps; hostile port keys and ids; wrongly typed
// members; and secrets in the environment that must not reach a record or a note.

#include "ServiceBuilderTestSupport.h"

#include <QTest>

class tst_ServiceBuilderHostile : public QObject {
    Q_OBJECT
private slots:
    void hostileStrings_data();
    void hostileStrings();
    void hostileInspect_data();
    void hostileInspect();
    void wronglyTypedJsonNeverCrashes_data();
    void wronglyTypedJsonNeverCrashes();
    void secretsStayOut();
};

void tst_ServiceBuilderHostile::hostileStrings_data()
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

void tst_ServiceBuilderHostile::hostileStrings()
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

void tst_ServiceBuilderHostile::hostileInspect_data()
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

void tst_ServiceBuilderHostile::hostileInspect()
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

void tst_ServiceBuilderHostile::wronglyTypedJsonNeverCrashes_data()
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

void tst_ServiceBuilderHostile::wronglyTypedJsonNeverCrashes()
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

void tst_ServiceBuilderHostile::secretsStayOut()
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

QTEST_GUILESS_MAIN(tst_ServiceBuilderHostile)
#include "tst_servicebuilder_hostile.moc"
