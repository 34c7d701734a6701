// TagTemplate: registrator's -tags Go template subset, run against a small inspect object shaped
// like Docker's (keys as in `docker inspect`).

#include "service/TagTemplate.h"

#include <QJsonDocument>
#include <QTest>

namespace {

QJsonObject container()
{
    return QJsonDocument::fromJson(R"({
        "Id": "e20f9c1a76565d62ae24a3bb877b17b862b6eab94f4e95a0e07ccf25087aaf4f",
        "Name": "/web.1",
        "Image": "sha256:abc",
        "Config": {
            "Hostname": "e20f9c1a7656",
            "Image": "example/Web:1",
            "Env": ["ENVIRONMENT=test", "SERVICE_8105_NAME=foo", "HOME=/home/foobar",
                    "SERVICE_9404_NAME=bar"],
            "Cmd": null,
            "Labels": {"com.amazonaws.ecs.task-arn":
                       "arn:aws:ecs:region:xxxxxxxxxxxx:task/368f4403-0ee4-4f4c-b7a5-be50c57db5cf",
                       "team": "Infra"}
        },
        "State": {"Running": true, "Pid": 4242},
        "NetworkSettings": {"IPAddress": "172.17.0.2", "Networks": {"bridge": {"IPAddress": "172.17.0.2"}}}
    })")
        .object();
}

} // namespace

class tst_TagTemplate : public QObject {
    Q_OBJECT
private slots:
    void execute_data();
    void execute();
    void compileErrors_data();
    void compileErrors();
    void executionErrors_data();
    void executionErrors();
    void emptyTemplateHasNoTags();
};

void tst_TagTemplate::execute_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("output");
    QTest::addColumn<QStringList>("tags");

    auto row = [](const char *name, const QString &text, const QString &out,
                  const QStringList &tags) { QTest::newRow(name) << text << out << tags; };
    row("plain literal tags", "a,b", "a,b", {"a", "b"});
    row("escaped comma in literal", "a\\,b,c", "a\\,b,c", {"a,b", "c"});
    row("field", "{{.Name}}", "/web.1", {"/web.1"});
    row("nested field with spaces", "{{ .Config.Hostname }}", "e20f9c1a7656", {"e20f9c1a7656"});
    row("fsouza .ID finds Id", "{{ strSlice .ID 0 12 }}", "e20f9c1a7656", {"e20f9c1a7656"});
    row("strSlice from", "{{ strSlice .Config.Hostname 8 }}", "7656", {"7656"});
    row("strSlice beyond length returns all", "{{ strSlice .Config.Hostname 0 99 }}",
        "e20f9c1a7656", {"e20f9c1a7656"});
    row("strSlice end before start", "{{ strSlice .Config.Hostname 8 2 }}", "7656", {"7656"});
    row("sIndex", "{{ sIndex 0 .Config.Env }}", "ENVIRONMENT=test", {"ENVIRONMENT=test"});
    row("sIndex negative", "{{ sIndex -1 .Config.Env }}", "SERVICE_9404_NAME=bar",
        {"SERVICE_9404_NAME=bar"});
    row("sIndex clamps high", "{{ sIndex 10 .Config.Env }}", "SERVICE_9404_NAME=bar",
        {"SERVICE_9404_NAME=bar"});
    row("sIndex clamps low", "{{ sIndex -10 .Config.Env }}", "ENVIRONMENT=test",
        {"ENVIRONMENT=test"});
    row("mIndex", "{{ mIndex \"team\" .Config.Labels }}", "Infra", {"Infra"});
    row("mIndex missing", "x{{ mIndex \"nope\" .Config.Labels }}", "x", {"x"});
    row("pipeline toLower", "{{ .Config.Labels.team | toLower }}", "infra", {"infra"});
    row("toUpper", "{{ toUpper \"foo\" }}", "FOO", {"FOO"});
    row("replace all", "{{ replace -1 \"=\" \"\" \"=foo=\" }}", "foo", {"foo"});
    row("replace first", "{{ replace 1 \"o\" \"0\" \"foo\" }}", "f0o", {"f0o"});
    row("replace empty old", "{{ replace -1 \"\" \"-\" \"ab\" }}", "-a-b-", {"-a-b-"});
    row("join", "{{ join \",\" .Config.Env }}",
        "ENVIRONMENT=test,SERVICE_8105_NAME=foo,HOME=/home/foobar,SERVICE_9404_NAME=bar",
        {"ENVIRONMENT=test", "SERVICE_8105_NAME=foo", "HOME=/home/foobar",
         "SERVICE_9404_NAME=bar"});
    row("split prints like Go", "{{ split \",\" \"a,b,c\" }}", "[a b c]", {"[a b c]"});
    row("split then sIndex", "{{ split \"/\" .Config.Image | sIndex 0 }}", "example", {"example"});
    row("splitIndex",
        "{{ splitIndex -1 \"/\" (mIndex \"com.amazonaws.ecs.task-arn\" "
        ".Config.Labels) }}",
        "368f4403-0ee4-4f4c-b7a5-be50c57db5cf", {"368f4403-0ee4-4f4c-b7a5-be50c57db5cf"});
    row("matchFirstElement", "{{ matchFirstElement \"^SERVICE_\" .Config.Env }}",
        "SERVICE_8105_NAME=foo", {"SERVICE_8105_NAME=foo"});
    row("matchFirstElement none", "{{ matchFirstElement \"^NOPE\" .Config.Env }}", "", {});
    row("matchAllElements joined", "{{ matchAllElements \"^SERVICE_\" .Config.Env | join \",\" }}",
        "SERVICE_8105_NAME=foo,SERVICE_9404_NAME=bar",
        {"SERVICE_8105_NAME=foo", "SERVICE_9404_NAME=bar"});
    row("matchAllElements none prints []", "{{ matchAllElements \"^NOPE\" .Config.Env }}", "[]",
        {"[]"});
    row("number field", "pid-{{ .State.Pid }}", "pid-4242", {"pid-4242"});
    row("bool field", "{{ .State.Running }}", "true", {"true"});
    row("map prints like Go", "{{ .Config.Labels }}",
        "map[com.amazonaws.ecs.task-arn:arn:aws:ecs:region:xxxxxxxxxxxx:task/"
        "368f4403-0ee4-4f4c-b7a5-be50c57db5cf team:Infra]",
        {"map[com.amazonaws.ecs.task-arn:arn:aws:ecs:region:xxxxxxxxxxxx:task/"
         "368f4403-0ee4-4f4c-b7a5-be50c57db5cf team:Infra]"});
    row("missing field prints nothing", "a{{ .Config.Nope.Deeper }}b", "ab", {"ab"});
    row("null list is empty", "{{ join \",\" .Config.Cmd }}", "", {});
    row("string escapes", "{{ \"a\\tb\\u00e9\" }}", "a\tb\u00e9", {"a\tb\u00e9"});
    row("raw string", "{{ `a\\,b` }}", "a\\,b", {"a,b"});
    row("trim markers", "a, {{- .Config.Hostname -}} ,b", "a,e20f9c1a7656,b",
        {"a", "e20f9c1a7656", "b"});
    row("comment", "x{{/* a comment */}}y", "xy", {"xy"});
    row("}} inside a string", "{{ \"}}\" }}", "}}", {"}}"});
    row("several actions", "{{ .Config.Hostname }},{{ toLower \"B\" }},lit", "e20f9c1a7656,b,lit",
        {"e20f9c1a7656", "b", "lit"});
    row("nested parentheses", "{{ toUpper (sIndex 0 (split \"-\" \"ab-cd\")) }}", "AB", {"AB"});
}

void tst_TagTemplate::execute()
{
    QFETCH(QString, text);
    QFETCH(QString, output);
    QFETCH(QStringList, tags);
    QString error;
    const TagTemplate t = TagTemplate::compile(text, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(t.isValid());
    QCOMPARE(t.source(), text);
    QCOMPARE(t.execute(container(), &error), output);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(t.tags(container(), &error), tags);
}

void tst_TagTemplate::compileErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");

    QTest::newRow("httpGet") << "{{ httpGet \"http://x\" }}"
                             << "column 4: function \"httpGet\" is not supported by Portolan";
    QTest::newRow("jsonParse in a pipeline") << "{{ .Name | jsonParse \"a\" }}"
                                             << "function \"jsonParse\" is not supported";
    QTest::newRow("unknown function") << "{{ printf \"%s\" .Name }}"
                                      << "function \"printf\" not defined";
    QTest::newRow("unclosed action") << "a {{ .Name"
                                     << "column 3: unclosed action";
    QTest::newRow("empty action") << "{{ }}"
                                  << "missing value for action";
    QTest::newRow("if") << "{{ if .Name }}x{{ end }}"
                        << "{{if}} is not supported";
    QTest::newRow("range") << "{{range .Config.Env}}{{.}}{{end}}"
                           << "{{range}} is not supported";
    QTest::newRow("variable") << "{{ $x := .Name }}"
                              << "variables are not supported";
    QTest::newRow("too few args") << "{{ join \",\" }}"
                                  << "wrong number of arguments for join: want 2, got 1";
    QTest::newRow("too many args") << "{{ toUpper \"a\" \"b\" }}"
                                   << "wrong number of arguments for toUpper: want 1, got 2";
    QTest::newRow("piped arg counts") << "{{ .Name | toUpper \"a\" }}"
                                      << "wrong number of arguments for toUpper: want 1, got 2";
    QTest::newRow("literal of wrong type") << "{{ sIndex \"0\" .Config.Env }}"
                                           << "argument 1 of sIndex: expected an integer";
    QTest::newRow("int for string") << "{{ toUpper 5 }}"
                                    << "expected a string, got number";
    QTest::newRow("value with args") << "{{ .Name .Image }}"
                                     << "a value cannot take arguments";
    QTest::newRow("pipe into value") << "{{ .Name | .Image }}"
                                     << "cannot pipe into a value";
    QTest::newRow("unterminated string") << "{{ toUpper \"abc }}"
                                         << "unclosed action";
    QTest::newRow("bad escape") << "{{ toUpper \"\\q\" }}"
                                << "unsupported escape \\q";
    QTest::newRow("float literal") << "{{ strSlice .Name 1.5 }}"
                                   << "only decimal integer literals";
    QTest::newRow("unclosed paren") << "{{ toUpper (toLower \"a\" }}"
                                    << "unclosed '('";
    QTest::newRow("function as bare arg") << "{{ toUpper toLower }}"
                                          << "put function toLower in parentheses";
    QTest::newRow("unclosed comment") << "{{/* x }}"
                                      << "unclosed comment";
    QTest::newRow("stray paren") << "{{ .Name ) }}"
                                 << "unexpected \")\"";
}

void tst_TagTemplate::compileErrors()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    QString got;
    const TagTemplate t = TagTemplate::compile(text, &got);
    QVERIFY(!t.isValid());
    QVERIFY2(got.startsWith(QLatin1String("-tags template: ")), qPrintable(got));
    QVERIFY2(got.contains(error), qPrintable(got));
}

void tst_TagTemplate::executionErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");

    QTest::newRow("field of a string") << "{{ .Name.Foo }}"
                                       << "template: can't evaluate field Foo in .Name";
    QTest::newRow("sIndex of empty list") << "{{ sIndex 0 .Config.Cmd }}"
                                          << "sIndex: index 0 out of range for an empty list";
    QTest::newRow("list arg gets a string") << "{{ join \",\" .Name }}"
                                            << "argument 2 of join: expected a list of strings";
    QTest::newRow("map arg gets a list") << "{{ mIndex \"a\" .Config.Env }}"
                                         << "expected a map of strings, got list";
    QTest::newRow("bad regex") << "{{ matchFirstElement \"(\" .Config.Env }}"
                               << "bad regular expression";
    QTest::newRow("print an object") << "{{ .Config }}"
                                     << "cannot print an object";
    QTest::newRow("print the container") << "{{ . }}"
                                         << "cannot print an object";
    QTest::newRow("negative slice") << "{{ strSlice .Name -1 }}"
                                    << "slice bounds out of range";
    QTest::newRow("huge output")
        << "{{ replace -1 \"\" (join \"\" .Config.Env) (replace -1 \"\" (join \"\" "
           ".Config.Env) (join \"\" .Config.Env)) }}"
        << "is larger than 65536 bytes";
}

void tst_TagTemplate::executionErrors()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    QString compileError;
    const TagTemplate t = TagTemplate::compile(text, &compileError);
    QVERIFY2(compileError.isEmpty(), qPrintable(compileError));
    QString got;
    QCOMPARE(t.tags(container(), &got), QStringList());
    QVERIFY2(got.contains(error), qPrintable(got));
}

void tst_TagTemplate::emptyTemplateHasNoTags()
{
    QString error;
    const TagTemplate none;
    QVERIFY(!none.isValid());
    QCOMPARE(none.tags(container(), &error), QStringList());
    const TagTemplate empty = TagTemplate::compile(QString(), &error);
    QVERIFY(empty.isValid());
    QCOMPARE(empty.tags(container(), &error), QStringList());
    QVERIFY(error.isEmpty());
}

QTEST_GUILESS_MAIN(tst_TagTemplate)
#include "tst_tagtemplate.moc"
