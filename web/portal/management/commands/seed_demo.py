from django.core.management.base import BaseCommand

from web.portal.demo import credentials, seed


class Command(BaseCommand):
    help = "Tạo đợt đánh giá mẫu 17 phường, xã Vũng Tàu 2024 và các tài khoản thử (chỉ lần đầu)."

    def handle(self, *args, **options):
        assessment = seed()
        self.stdout.write("Tài khoản thử (chỉ dùng trên máy này):")
        for who, username, password in credentials(assessment):
            self.stdout.write(f"  {who}: {username} / {password}")
