import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

// Where the picture comes from: etcd endpoints or an agent's feed, saved profiles, the theme.
Rectangle {
    id: bar
    required property ClusterConnection connection
    color: Theme.surface
    implicitHeight: row.implicitHeight + 16
    border.color: Theme.border

    function dot(status) {
        return status === "ready" ? Theme.good : status === "error" ? Theme.bad
             : status === "connecting" ? Theme.warn : Theme.subtext
    }

    // The profile names, then "Save current…".
    function profileChoices(profiles) {
        const out = []
        for (let i = 0; i < profiles.length; ++i)
            out.push(profiles[i].name)
        out.push(qsTr("Save current…"))
        return out
    }

    RowLayout {
        id: row
        anchors.fill: parent
        anchors.margins: 8
        spacing: 8
        Label {
            textFormat: Text.PlainText
            text: "Portolan"
            font.bold: true
            font.pixelSize: 16
            color: Theme.text
        }
        Rectangle {
            objectName: "connectionDot"
            width: 10; height: 10; radius: 5
            color: bar.dot(bar.connection.statusName)
        }
        Label {
            textFormat: Text.PlainText
            objectName: "connectionLabel"
            text: bar.connection.mode === "" ? qsTr("not connected")
                  : bar.connection.description + " · " + bar.connection.statusName
            color: Theme.subtext
            elide: Text.ElideRight
            Layout.maximumWidth: 320
        }
        Item { Layout.fillWidth: true }
        ComboBox {
            id: modeBox
            objectName: "modeBox"
            model: ["etcd", "feed"]
            currentIndex: bar.connection.mode === "feed" ? 1 : 0
            implicitWidth: 80
        }
        TextField {
            id: targetField
            objectName: "targetField"
            Layout.preferredWidth: 260
            placeholderText: modeBox.currentIndex === 0 ? "http://127.0.0.1:2379[,…]"
                                                        : "ws://host:8080/ws"
            text: bar.connection.target
            selectByMouse: true
            onAccepted: connectButton.clicked()
        }
        TextField {
            id: tokenField
            objectName: "tokenField"
            visible: modeBox.currentIndex === 1
            Layout.preferredWidth: 120
            placeholderText: qsTr("token")
            echoMode: TextInput.Password
        }
        Button {
            id: connectButton
            objectName: "connectButton"
            text: qsTr("Connect")
            onClicked: modeBox.currentIndex === 0 ? bar.connection.connectToEtcd(targetField.text)
                                                  : bar.connection.connectToFeed(targetField.text,
                                                                                 tokenField.text)
        }
        PlainComboBox {
            id: profileBox
            objectName: "profileBox"
            implicitWidth: 140
            displayText: qsTr("Profiles")
            model: bar.profileChoices(bar.connection.profiles)
            onActivated: index => {
                if (index === count - 1) {
                    saveDialog.open()
                } else {
                    bar.connection.connectProfile(bar.connection.profiles[index].name,
                                                  tokenField.text)
                }
            }
        }
        ComboBox {
            objectName: "themeBox"
            implicitWidth: 100
            model: ["system", "light", "dark"]
            currentIndex: Math.max(0, model.indexOf(Theme.mode))
            // A pick in the box is saved for the next start (a --theme given then still wins).
            onActivated: index => {
                Theme.mode = model[index]
                Preferences.themeMode = model[index]
            }
        }
    }

    Dialog {
        id: saveDialog
        title: qsTr("Save connection profile")
        standardButtons: Dialog.Save | Dialog.Cancel
        anchors.centerIn: Overlay.overlay
        modal: true
        TextField {
            id: profileName
            placeholderText: qsTr("name, e.g. production")
            width: 260
        }
        onAccepted: bar.connection.saveProfile(profileName.text)
    }
}
