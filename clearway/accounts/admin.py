from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from clearway.accounts.models import User


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "services", "is_active")
    filter_horizontal = ("services",)
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Clearway", {"fields": ("role", "services")}))
