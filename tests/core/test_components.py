"""Form fields render as NHS.UK components, with the inline error and error summary patterns."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django import forms

from clearway.core.forms import NHSDateField, NHSForm

VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: "Element | None" = None
    children: list["Element"] = field(default_factory=list)
    text: str = ""

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def all_text(self) -> str:
        """Its text and its descendants', in document order, with whitespace collapsed."""
        return " ".join(self.text.split())

    def walk(self) -> "list[Element]":
        found = [self]
        for child in self.children:
            found += child.walk()
        return found

    def find_all(
        self, tag: str | None = None, cls: str | None = None, **attrs: str
    ) -> list["Element"]:
        return [
            e
            for e in self.walk()[1:]
            if (tag is None or e.tag == tag)
            and (cls is None or cls in e.classes)
            and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> "Element":
        found = self.find_all(tag, cls, **attrs)
        assert len(found) == 1, f"expected one <{tag} {cls} {attrs}>, found {len(found)}"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("root", {})
        self.current = self.root
        self.duplicate_attrs: list[str] = []

    def _gap(self) -> None:
        """A tag boundary separates words, as a browser lays out block elements."""
        self.handle_data(" ")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._gap()
        names = [n for n, _ in attrs]
        self.duplicate_attrs += [f"{tag}[{n}]" for n in set(names) if names.count(n) > 1]
        element = Element(tag, {n: v or "" for n, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        self._gap()
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        node: Element | None = self.current
        while node is not None:
            node.text += data
            node = node.parent


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    assert not builder.duplicate_attrs, (
        f"An element repeats an attribute: {builder.duplicate_attrs}"
    )
    return builder.root


class EveryComponentForm(NHSForm):
    name = forms.CharField(label="Full name", help_text="As on the referral letter")
    born = NHSDateField(label="Date of birth", help_text="For example, 15 3 2017")
    priority = forms.ChoiceField(
        label="Clinical priority",
        choices=[("urgent", "Urgent"), ("routine", "Routine")],
        widget=forms.RadioSelect,
        help_text="Ask the consultant if unsure",
    )
    consultant = forms.ChoiceField(
        label="Consultant",
        choices=[("", "Not yet allocated"), ("1", "Dr Ash"), ("2", "Dr Birch")],
        help_text="Who will see the child",
    )
    note = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 3}), help_text="A few words"
    )
    agreed = forms.BooleanField(label="The carer agreed", help_text="Tick if they said yes")


CONTROL_TAGS = {"input", "select", "textarea"}
#: component name → (field, the tag of its control)
COMPONENTS = {
    "input": ("name", "input"),
    "date": ("born", "input"),
    "radios": ("priority", "input"),
    "select": ("consultant", "select"),
    "textarea": ("note", "textarea"),
    "checkbox": ("agreed", "input"),
}


def render(form: forms.Form, name: str) -> Element:
    html = str(form[name].as_field_group())
    tree = parse(html)
    ids = [e.attrs["id"] for e in tree.walk() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), f"{name} repeats an id: {sorted(ids)}"
    return tree


def blank_form() -> EveryComponentForm:
    form = EveryComponentForm(data={})
    assert not form.is_valid()
    return form


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_component_is_a_form_group_with_a_label_for_its_control(component: str) -> None:
    name, control_tag = COMPONENTS[component]
    form = EveryComponentForm()
    tree = render(form, name)

    group = tree.children[0]
    assert "nhsuk-form-group" in group.classes
    assert "nhsuk-form-group--error" not in group.classes
    first = form[name].auto_id + ("-day" if component == "date" else "")
    control = tree.find(id=first)
    assert control.tag == control_tag
    assert control.attrs["name"] == (f"{name}_day" if component == "date" else name)
    assert tree.find_all("label", for_=first), f"no label for #{first}"
    assert not tree.find_all(cls="nhsuk-error-message")


@pytest.mark.parametrize("component", ["input", "select", "textarea"])
def test_a_single_control_is_labelled_and_described_by_its_hint(component: str) -> None:
    name, _ = COMPONENTS[component]
    form = EveryComponentForm()
    tree = render(form, name)
    auto_id = form[name].auto_id

    assert tree.find("label", for_=auto_id).all_text() == str(form.fields[name].label)
    hint = tree.find(cls="nhsuk-hint")
    assert hint.attrs["id"] == f"{auto_id}-hint"
    assert hint.all_text() == form.fields[name].help_text
    assert tree.find(id=auto_id).attrs["aria-describedby"] == f"{auto_id}-hint"


@pytest.mark.parametrize("component", ["date", "radios"])
def test_a_group_of_controls_is_a_fieldset_with_a_legend_described_by_its_hint(
    component: str,
) -> None:
    name, _ = COMPONENTS[component]
    form = EveryComponentForm()
    tree = render(form, name)
    auto_id = form[name].auto_id

    fieldset = tree.find("fieldset", cls="nhsuk-fieldset")
    assert fieldset.find("legend").all_text() == str(form.fields[name].label)
    assert tree.find(cls="nhsuk-hint").attrs["id"] == f"{auto_id}-hint"
    assert fieldset.attrs["aria-describedby"] == f"{auto_id}-hint"


def test_the_textarea_keeps_the_rows_its_form_asked_for() -> None:
    tree = render(EveryComponentForm(), "note")
    assert tree.find("textarea").attrs["rows"] == "3"


def test_radios_offer_each_choice_with_its_own_label() -> None:
    tree = render(EveryComponentForm(data={"priority": "routine"}), "priority")
    radios = tree.find_all("input", type="radio")
    assert [r.attrs["value"] for r in radios] == ["urgent", "routine"]
    assert ["checked" in r.attrs for r in radios] == [False, True]
    for radio in radios:
        assert tree.find("label", for_=radio.attrs["id"]).all_text() in {"Urgent", "Routine"}


def test_select_marks_the_chosen_option() -> None:
    tree = render(EveryComponentForm(data={"consultant": "2"}), "consultant")
    options = tree.find_all("option")
    assert [o.all_text() for o in options] == ["Not yet allocated", "Dr Ash", "Dr Birch"]
    assert [o.attrs["value"] for o in options if "selected" in o.attrs] == ["2"]


def test_checkbox_is_labelled_by_its_own_label_and_checked_when_ticked() -> None:
    form = EveryComponentForm(data={"agreed": "on"})
    tree = render(form, "agreed")
    box = tree.find("input", type="checkbox")
    assert box.attrs["id"] == form["agreed"].auto_id
    assert "checked" in box.attrs
    assert tree.find("label", for_=box.attrs["id"]).all_text() == "The carer agreed"


def test_date_input_is_three_boxes_named_day_month_year_keeping_what_was_typed() -> None:
    form = EveryComponentForm(data={"born_day": "7", "born_month": "11", "born_year": "2016"})
    tree = render(form, "born")
    boxes = tree.find_all("input")
    assert [b.attrs["name"] for b in boxes] == ["born_day", "born_month", "born_year"]
    assert [b.attrs["id"] for b in boxes] == ["id_born-day", "id_born-month", "id_born-year"]
    assert [b.attrs["value"] for b in boxes] == ["7", "11", "2016"]
    assert [tree.find("label", for_=b.attrs["id"]).all_text() for b in boxes] == [
        "Day",
        "Month",
        "Year",
    ]


@pytest.mark.parametrize("component", COMPONENTS)
def test_a_field_with_an_error_shows_it_inline_and_the_control_is_described_by_it(
    component: str,
) -> None:
    name, _ = COMPONENTS[component]
    form = blank_form()
    form.errors[name] = form.error_class([f"Tell us the {name}"])
    tree = render(form, name)
    auto_id = form[name].auto_id

    assert "nhsuk-form-group--error" in tree.children[0].classes
    message = tree.find(cls="nhsuk-error-message")
    assert message.attrs["id"] == f"{auto_id}-error"
    assert message.all_text() == f"Error: Tell us the {name}"
    holders = [e for e in tree.walk() if "aria-describedby" in e.attrs]
    assert holders, "nothing is described by the error message"
    for holder in holders:
        assert holder.attrs["aria-describedby"].split() == [f"{auto_id}-hint", f"{auto_id}-error"]


def test_date_boxes_are_all_marked_in_error() -> None:
    form = EveryComponentForm(data={"born_day": "31", "born_month": "2", "born_year": "2021"})
    form.is_valid()
    tree = render(form, "born")
    assert all("nhsuk-input--error" in box.classes for box in tree.find_all("input"))


def test_the_error_summary_links_each_error_to_the_control_to_fix() -> None:
    form = blank_form()
    summary = form.error_summary()

    assert {item["href"] for item in summary} == {
        "#id_name",
        "#id_born-day",
        "#id_priority",
        "#id_consultant",
        "#id_note",
        "#id_agreed",
    }
    for name, (_, control_tag) in COMPONENTS.items():
        tree = render(form, COMPONENTS[name][0])
        targets = [item["href"][1:] for item in summary]
        controls = [e for e in tree.walk() if e.attrs.get("id") in targets]
        assert len(controls) == 1 and controls[0].tag == control_tag, (
            f"the error summary's link for {name} does not lead to its {control_tag}"
        )


def test_the_error_summary_carries_each_message_in_field_order() -> None:
    form = EveryComponentForm(
        data={"name": "Ada", "born_day": "1", "born_month": "13", "born_year": "2016"}
    )
    form.is_valid()
    summary = form.error_summary()
    assert summary[0] == {"text": "Date of birth must be a real date", "href": "#id_born-day"}
    assert [item["href"] for item in summary] == [
        "#id_born-day",
        "#id_priority",
        "#id_consultant",
        "#id_note",
        "#id_agreed",
    ]


def test_a_form_wide_error_links_to_the_form() -> None:
    form = EveryComponentForm(data={})
    form.is_valid()
    form.add_error(None, "This child is already on the list")
    assert {"text": "This child is already on the list", "href": "#main-content-form"} in (
        form.error_summary()
    )


class DateForm(NHSForm):
    born = NHSDateField(label="Date of birth")
    seen = NHSDateField(label="Date seen", required=False)


def date_error(day: str, month: str, year: str) -> str | None:
    form = DateForm(data={"born_day": day, "born_month": month, "born_year": year})
    if form.is_valid():
        return None
    return " ".join(form.errors["born"])


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("", "", "", "Enter date of birth"),
        ("15", "", "2017", "Date of birth must include a month"),
        ("", "3", "2017", "Date of birth must include a day"),
        ("15", "3", "", "Date of birth must include a year"),
        ("", "", "2017", "Date of birth must include a day and a month"),
        ("31", "2", "2021", "Date of birth must be a real date"),
        ("0", "1", "2021", "Date of birth must be a real date"),
        ("1", "13", "2021", "Date of birth must be a real date"),
        ("first", "3", "2017", "Date of birth must be a real date"),
        ("15", "3", "17", "Year must include 4 numbers"),
        ("15", "3", "217", "Year must include 4 numbers"),
    ],
)
def test_date_field_says_exactly_what_is_wrong(
    day: str, month: str, year: str, message: str
) -> None:
    assert date_error(day, month, year) == message


def test_date_field_accepts_a_real_date_with_spaces_and_leading_zeros() -> None:
    form = DateForm(data={"born_day": " 05 ", "born_month": "03", "born_year": "2017"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["born"].isoformat() == "2017-03-05"
    assert form.cleaned_data["seen"] is None


def test_29_february_is_real_only_in_a_leap_year() -> None:
    assert date_error("29", "2", "2020") is None
    assert date_error("29", "2", "2021") == "Date of birth must be a real date"
